"""CSV and NDJSON, streamed: records in from a byte stream, rows out to a text stream.

Reading never holds more than one record; it counts the bytes it has consumed so that a
progress bar can show how far through a file it is. Bytes that are not UTF-8 make their record
unreadable, not the file: they are decoded as lone surrogates (``surrogateescape``), so the
decoder never stops, and a record holding one is reported by its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol, TextIO

import orjson

from commprefs.domain.errors import InvalidInput
from commprefs.domain.transfer import RawRecord, Rejection
from commprefs.transfer.schemas import check_header

Format = Literal["csv", "ndjson"]
FORMATS: tuple[Format, ...] = ("csv", "ndjson")
_EXTENSIONS: dict[str, Format] = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}
MAX_FIELD = 64 * 1024  # a longer CSV field is a broken file, not a status
csv.field_size_limit(MAX_FIELD)


def format_of(path: str, chosen: str | None) -> Format:
    """The chosen format, or the one a file's extension names (CSV when nothing says)."""
    if chosen is not None:
        if chosen not in FORMATS:
            raise InvalidInput.field("format", f"format is csv or ndjson, not {chosen!r}")
        return "csv" if chosen == "csv" else "ndjson"
    return _EXTENSIONS.get(Path(path).suffix.lower(), "csv")


class _Counting(io.RawIOBase):
    """A byte stream that counts what has been read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class RecordReader:
    """Iterates the records of a CSV (with a header) or NDJSON byte stream."""

    def __init__(self, raw: BinaryIO, fmt: Format) -> None:
        self.format = fmt
        self._counting = _Counting(raw)
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._counting),
            encoding="utf-8-sig",
            errors="surrogateescape",
            newline="",
        )
        self.header: list[str] = []

    @property
    def bytes_read(self) -> int:
        return self._counting.count

    def __iter__(self) -> Iterator[RawRecord]:
        return self._csv() if self.format == "csv" else self._ndjson()

    def _csv(self) -> Iterator[RawRecord]:
        reader = csv.reader(self._text, strict=True)
        try:
            self.header = next(reader, [])
        except csv.Error as exc:
            raise InvalidInput.field("header", f"The header cannot be read: {exc}") from None
        if not _utf8(",".join(self.header)):
            raise InvalidInput.field("header", f"The header cannot be read: {NOT_UTF8}.")
        check_header(self.header)
        end = reader.line_num
        while True:
            start = end + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                end = reader.line_num
                yield RawRecord(start, None, f"not readable as CSV: {exc}")
                continue
            end = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if not _utf8("".join(values)):
                yield RawRecord(start, None, NOT_UTF8)
                continue
            if len(values) != len(self.header):
                yield RawRecord(
                    start,
                    dict(zip(self.header, values, strict=False)),
                    f"{len(values)} values for {len(self.header)} columns",
                )
                continue
            yield RawRecord(start, dict(zip(self.header, values, strict=True)))

    def _ndjson(self) -> Iterator[RawRecord]:
        line = 0
        while True:
            text = self._text.readline()
            if not text:
                return
            line += 1
            if not text.strip():
                continue
            if not _utf8(text):
                yield RawRecord(line, None, NOT_UTF8)
                continue
            try:
                parsed = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                yield RawRecord(line, None, f"not JSON: {exc}", text.rstrip("\r\n"))
                continue
            if not isinstance(parsed, dict):
                yield RawRecord(line, None, "not a JSON object", text.rstrip("\r\n"))
                continue
            yield RawRecord(line, parsed)


NOT_UTF8 = "not valid UTF-8"


def _utf8(text: str) -> bool:
    """Whether decoded text came from valid UTF-8: holds no byte smuggled in as a surrogate."""
    if text.isascii():  # nearly every record: the cheap answer
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class RowWriter(Protocol):
    def write(self, row: dict[str, Any]) -> None: ...


class CsvWriter:
    def __init__(self, stream: TextIO, columns: Sequence[str]) -> None:
        self._writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\n")
        self._writer.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        self._writer.writerow(row)


class NdjsonWriter:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, row: dict[str, Any]) -> None:
        self._stream.write(orjson.dumps(row).decode() + "\n")


def row_writer(fmt: Format, stream: TextIO, columns: Sequence[str]) -> RowWriter:
    return CsvWriter(stream, columns) if fmt == "csv" else NdjsonWriter(stream)


REJECT_COLUMNS = ("_line", "_field", "_error")


def reject_row(rejection: Rejection, fmt: Format, header: Sequence[str]) -> dict[str, Any]:
    """A rejected record as the rejects file has it: its fields (in CSV, the header's only),
    or its text when it could not be read, and ``_line``, ``_field``, ``_error``."""
    record = rejection.record
    row: dict[str, Any] = dict(record.fields or {})
    if record.fields is None and record.text is not None:
        row["_text"] = record.text
    row.update({"_line": record.line, "_field": rejection.field, "_error": rejection.message})
    if fmt == "csv":
        row = {k: v for k, v in row.items() if k in header or k in REJECT_COLUMNS}
    return row


class RejectsWriter:
    """The rejected rows as they were, plus ``_line``, ``_field`` and ``_error``; in the input's
    format and columns, so that the file, once fixed, imports as it is. Opened at the first
    rejection: no rejections, no file."""

    def __init__(self, path: Path, fmt: Format, header: Sequence[str] | None = None) -> None:
        self.path = path
        self.format = fmt
        self.header = list(header or [])
        self._stream: TextIO | None = None
        self._writer: RowWriter | None = None

    def write(self, rejection: Rejection) -> None:
        if self._writer is None:
            self._stream = self.path.open("w", encoding="utf-8", newline="")
            self._writer = row_writer(self.format, self._stream, [*self.header, *REJECT_COLUMNS])
        self._writer.write(reject_row(rejection, self.format, self.header))

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
