"""The emulator's request journal (issue 15): every request to the HubSpot API, in the order it
arrived, in a ring of ``COMMPREFS_JOURNAL_SIZE`` entries (the oldest go first).

An entry is opened when a request arrives (api/emulator/capture.py) and filled in as its body is
read and its response sent; bodies are kept as bytes, up to ``body_limit`` each, and parsed only
when the journal is read. The ``Authorization`` header is never kept: only the SHA-256 of a
bearer token's secret, which the journal's reader turns into the token's id and name.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote, unquote_plus

from commprefs.auth.service import digest
from commprefs.domain.injected_faults import glob_matches
from commprefs.domain.tokens import TokenRecord

AUTHORIZATION = b"authorization"


class Tokens(Protocol):
    """Where the journal's reader finds the tokens it names (auth/service.py TokenService)."""

    async def list(self, portal_id: int | None = None) -> list[TokenRecord]: ...


@dataclass(slots=True)
class Body:
    """The first ``limit`` bytes of a body, and whether there was more. The chunks are kept as
    they came (no copy on the request's path) and joined when read."""

    limit: int
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    truncated: bool = False

    def add(self, chunk: bytes) -> None:
        room = self.limit - self.size
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[:room]
        if chunk:
            self.chunks.append(chunk)
            self.size += len(chunk)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


@dataclass(slots=True)
class JournalEntry:
    id: int
    received_ms: int
    method: str
    path: str
    query_string: bytes
    headers: list[tuple[bytes, bytes]]  # without Authorization
    authorization: str | None  # None, "bearer" (see token_sha256) or the scheme of another
    token_sha256: str | None
    operation: str | None  # the served OpenAPI document's operationId
    correlation_id: str
    request_body: Body
    response_body: Body
    status: int | None = None  # None until the response starts
    response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    duration_ms: float | None = None  # None until the response is sent
    fault: int | None = None  # the injected fault that answered (or delayed) it


@dataclass(frozen=True)
class JournalFilter:
    method: str | None = None
    path: str | None = None  # a glob (domain/injected_faults.py)
    operation: str | None = None
    status: int | None = None
    since_ms: int | None = None
    limit: int | None = None  # the last ``limit`` of those that match

    def keeps(self, entry: JournalEntry) -> bool:
        return (
            (self.method is None or entry.method == self.method.upper())
            and (self.operation is None or entry.operation == self.operation)
            and (self.status is None or entry.status == self.status)
            and (self.since_ms is None or entry.received_ms >= self.since_ms)
            and (self.path is None or glob_matches(self.path, entry.path))
        )


@dataclass(frozen=True)
class JournalPage:
    entries: list[JournalEntry]
    tokens: dict[str, TokenRecord]  # by SHA-256 of the secret: the tokens the entries name
    capacity: int
    dropped: int  # entries the ring has let go since it was last cleared


class Journal:
    def __init__(self, size: int, body_limit: int, tokens: Tokens) -> None:
        self.size = size
        self.body_limit = body_limit
        self._tokens = tokens
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._opened = 0

    def open(
        self,
        received_ms: int,
        method: str,
        path: str,
        query_string: bytes,
        headers: list[tuple[bytes, bytes]],
        operation: str | None,
        correlation_id: str,
    ) -> JournalEntry:
        """A new entry for a request that has just arrived (its headers as the server gives
        them: lower-case names)."""
        kept = []
        scheme = secret_sha256 = None
        for name, value in headers:
            if name != AUTHORIZATION:
                kept.append((name, value))
                continue
            # Read as deps.require reads it, so that the digest is the token's if it is one.
            scheme, _, secret = value.decode("latin-1").partition(" ")
            scheme = scheme.lower()
            if scheme == "bearer" and secret:
                secret_sha256 = digest(secret)
        entry = JournalEntry(
            id=next(self._ids),
            received_ms=received_ms,
            method=method,
            path=path,
            query_string=query_string,
            headers=kept,
            authorization=scheme,
            token_sha256=secret_sha256,
            operation=operation,
            correlation_id=correlation_id,
            request_body=Body(self.body_limit),
            response_body=Body(self.body_limit),
        )
        self._entries.append(entry)
        self._opened += 1
        return entry

    async def read(self, wanted: JournalFilter) -> JournalPage:
        entries = [entry for entry in self._entries if wanted.keeps(entry)]
        if wanted.limit is not None:
            entries = entries[len(entries) - wanted.limit :] if wanted.limit else []
        named = {entry.token_sha256 for entry in entries if entry.token_sha256}
        tokens = {}
        if named:
            known = await self._tokens.list()
            tokens = {t.secret_sha256: t for t in known if t.secret_sha256 in named}
        dropped = self._opened - len(self._entries)
        return JournalPage(entries, tokens, self.size, dropped)

    def clear(self) -> None:
        self._entries.clear()
        self._opened = 0

    def forget(self, spellings: Sequence[str]) -> int:
        """Erasure (issue 16): drop every entry whose path, query or bodies hold any spelling of
        an erased address (in any case; the path and query also percent-decoded), whichever
        portal it was for: the journal keeps no portal. How many were dropped."""
        needles = [s.lower().encode() for s in dict.fromkeys(spellings) if s]
        kept = [entry for entry in self._entries if not _names(entry, needles)]
        dropped = len(self._entries) - len(kept)
        self._entries = deque(kept, maxlen=self.size)
        self._opened -= dropped  # forgotten, not let go by the ring
        return dropped


def _names(entry: JournalEntry, needles: list[bytes]) -> bool:
    query = entry.query_string
    haystacks = (
        entry.path.encode().lower(),
        unquote(entry.path).encode().lower(),
        query.lower(),
        unquote_plus(query.decode("latin-1")).encode().lower(),
        entry.request_body.data.lower(),
        entry.response_body.data.lower(),
    )
    return any(needle in haystack for needle in needles for haystack in haystacks)
