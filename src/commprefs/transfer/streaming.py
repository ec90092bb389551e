"""Rows streamed as a downloadable file (exports, an import's rejects), for the admin API and the
console alike: the first row is read before the answer starts, so that what the service refuses
(an unknown type, a database fault) is an error page or body, not a cut stream."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

from commprefs.transfer.formats import Format, row_writer

CHUNK_ROWS = 500
MEDIA = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


async def file_chunks(
    rows: AsyncIterator[dict[str, Any]], fmt: Format, columns: Sequence[str]
) -> AsyncIterator[bytes]:
    """The file's bytes, in chunks of ``CHUNK_ROWS`` rows; raises what reading the first row
    raises, before any byte."""
    try:
        first = await anext(rows)
    except StopAsyncIteration:
        first = None
    except BaseException:
        with contextlib.suppress(Exception):
            await rows.aclose()  # type: ignore[attr-defined]
        raise
    return _chunks(first, rows, fmt, columns)


async def _chunks(
    first: dict[str, Any] | None,
    rows: AsyncIterator[dict[str, Any]],
    fmt: Format,
    columns: Sequence[str],
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = row_writer(fmt, buffer, columns)
    count = 0
    try:
        if first is not None:
            writer.write(first)
            async for row in rows:
                writer.write(row)
                count += 1
                if count % CHUNK_ROWS == 0:
                    yield _drain(buffer)
        yield _drain(buffer)
    finally:
        await rows.aclose()  # type: ignore[attr-defined]


def _drain(buffer: io.StringIO) -> bytes:
    # Bytes that were not UTF-8 in an import are kept as lone surrogates: they go out as they came.
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8", "surrogateescape")
