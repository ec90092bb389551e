"""The rules of ``Idempotency-Key``, apart from HTTP: which keys are valid, what makes a retry the
same request, claiming a key, replaying or refusing a key already used, keeping the reply for
retries, and forgetting keys after their time to live. api/idempotency.py finds the key in a
request, holds back its response and answers a replay; api/deps.py runs the request's operation
inside the transaction the claim opened.

How a write is never applied twice, and the trade-off made for it: the key is claimed (a row
under a unique key) inside one database transaction that also holds the write and, before it
commits, the rendered response. ``claim`` opens that transaction and hands it out as a
``RequestTransaction``; the services the operation calls are bound to it (``Services.within``),
so that each transaction of theirs is a savepoint of it. The claim, the write and the stored
response therefore commit together or not at all, and the response reaches the client only after
that commit: a crash at any moment leaves either all of it, so a retry replays, or none of it, so
a retry runs. A concurrent duplicate of a request still in flight waits on the claim until the
first commits and then replays its response (or runs, if the first failed), rather than getting
a 409 it would have to retry. The price: a keyed request keeps its transaction open from the
claim until its response is rendered (on SQLite that is the single writer slot any write takes
anyway; on PostgreSQL one pooled connection and a row lock), and a duplicate waits as long as the
original runs.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from commprefs.domain.clock import Clock
from commprefs.domain.errors import Conflict, ErrorDetail, InvalidInput
from commprefs.domain.sealing import keyed_fingerprint
from commprefs.store.interface import IdempotentReply, Transactions
from commprefs.store.repository import SqlRepository
from commprefs.store.transactions import OpenTransaction

KEY_NAME = "Idempotency-Key"  # how errors name the key: the header it comes in
_VALID_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?")
PURGE_EVERY = 256  # claims; each purge deletes every expired key


class Replay(Exception):
    """Raised by the claim when the key's request already ran: answer with its reply."""

    def __init__(self, reply: IdempotentReply) -> None:
        super().__init__("replay")
        self.reply = reply


class NotKept(Exception):
    """Raised for a reply other than a success: it is not kept, and leaving the request's
    transaction with this error rolls back the key with whatever the request wrote, so that a
    retry runs again."""


def check_key(key: str) -> None:
    """1 to 255 visible ASCII characters (spaces inside), else a 400 naming the header."""
    if not _VALID_KEY.fullmatch(key):
        raise InvalidInput.field(
            KEY_NAME, f"{KEY_NAME} must be 1 to 255 visible ASCII characters.", "INVALID_VALUE"
        )


def fingerprint(method: str, path: bytes, query: bytes, body: bytes) -> str:
    """What makes a retry the same request: its method, path, query and body, byte for byte."""
    return hashlib.sha256(b"\0".join((method.encode(), path, query, body))).hexdigest()


class RequestTransaction(OpenTransaction):
    """The one transaction of a keyed request, which holds its key from the claim on. The
    request's operation runs in it (it is ``Transactions``: a service's own write is a savepoint
    of it), ``keep`` stores the reply its retries get, and the claim's block commits it all."""

    def __init__(self, repo: SqlRepository, portal_id: int, key: str) -> None:
        super().__init__(repo)
        self.portal_id = portal_id
        self.key = key
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """``action`` as the operation may call it: run once the claim's block has committed
        (an erasure's emptying of SQLite's log, which needs the write lock this holds)."""

        async def deferred() -> None:
            self._after_commit.append(action)

        return deferred

    async def committed(self) -> None:
        """The claim's block committed: run what was deferred to then."""
        for action in self._after_commit:
            await action()

    async def keep(self, status_code: int, content_type: str, body: bytes) -> None:
        """Store the reply for the key's retries. Anything but a 2xx raises NotKept: such a
        request changed nothing, and its retry must run again."""
        if not 200 <= status_code < 300:
            raise NotKept(status_code)
        await self.repo.record_idempotent_reply(
            self.portal_id, self.key, status_code, content_type, body
        )


class IdempotencyService:
    def __init__(
        self, database: Transactions[SqlRepository], clock: Clock, ttl_seconds: int
    ) -> None:
        self.database = database
        self.clock = clock
        self.ttl_ms = ttl_seconds * 1000
        self._claims = itertools.count(1)

    @asynccontextmanager
    async def claim(
        self, portal_id: int, key: str, request_fingerprint: str
    ) -> AsyncIterator[RequestTransaction]:
        """The portal's ``key`` claimed for the request with this fingerprint, in a write
        transaction as long as the block: committed with everything the block wrote in it,
        rolled back on any error. A key older than the time to live is claimed afresh.

        Raises InvalidInput for a malformed key. Instead of entering the block: Conflict when
        the key was used for another request, Replay when its request already ran; a claim of
        the same key still in flight is waited for first."""
        check_key(key)
        now = self.clock.now_ms()
        expired_before = now - self.ttl_ms
        async with self.database.write() as repo:
            if next(self._claims) % PURGE_EVERY == 0:
                await repo.purge_idempotency_keys(expired_before)
            # Stored keyed (erasure, issue 16): a path may hold an address.
            keyed = keyed_fingerprint(await repo.portal_secret(portal_id), request_fingerprint)
            held = await repo.claim_idempotency_key(portal_id, key, keyed, now, expired_before)
            request = RequestTransaction(repo, portal_id, key) if held is None else None
            if request is not None:
                yield request
        if request is not None:
            await request.committed()
            return
        # Not ours: the request writes nothing, and its transaction has ended (above).
        assert held is not None
        raise _refusal(key, {keyed, request_fingerprint}, held)


def _refusal(key: str, request_fingerprints: set[str], held: IdempotentReply) -> Exception:
    # A key claimed before fingerprints were keyed holds the plain one (until it expires).
    if held.fingerprint not in request_fingerprints:
        message = (
            f"{KEY_NAME} {key!r} was already used with a different request; "
            "use a new key for a new request."
        )
        return Conflict(message, [ErrorDetail(message, in_=KEY_NAME, code="KEY_REUSED")])
    if held.status_code is None:  # not reachable: a key commits only with its reply
        return Conflict(f"The request with {KEY_NAME} {key!r} has not finished.")
    return Replay(held)
