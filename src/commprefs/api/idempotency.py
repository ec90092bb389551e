"""``Idempotency-Key`` on writes: our extension of HubSpot's API.

Any write (POST, PUT or DELETE under ``/communication-preferences/`` other than the batch reads
and link generation, which change nothing) may carry ``Idempotency-Key`` (1 to
255 visible ASCII characters). The first request with a key runs, and its 2xx response is stored;
a retry with the same key and the same method, path, query and body gets that response again,
byte for byte, with ``Idempotent-Replayed: true``, and runs nothing. The same key with a different
request is a 409. Keys belong to the token's portal and are forgotten after
``COMMPREFS_IDEMPOTENCY_TTL_SECONDS``. A response other than 2xx is not stored (nothing was
written), so its retry runs again. Every route that authenticates through ``api.deps.require`` is
covered: the middleware sees the header, the auth dependency claims the key for the portal.

How a write is never applied twice, and the trade-off made for it: the key is claimed (a row
under a unique key) inside one database transaction that also holds the write and, before it
commits, the rendered response (``Database.request_transaction`` turns the service's own
transaction into a savepoint of it). The claim, the write and the stored response therefore commit
together or not at all, and the response reaches the client only after that commit: a crash at any
moment leaves either all of it, so a retry replays, or none of it, so a retry runs. A concurrent
duplicate of a request still in flight waits on the claim until the first commits and then replays
its response (or runs, if the first failed), rather than getting a 409 it would have to retry. The
price: a keyed request keeps its transaction open from the claim until its response is rendered
(on SQLite that is the single writer slot any write takes anyway; on PostgreSQL one pooled
connection and a row lock), and a duplicate waits as long as the original runs.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commprefs.domain.clock import Clock
from commprefs.domain.errors import Conflict, ErrorDetail, InvalidInput
from commprefs.store.database import Database
from commprefs.store.repository import IdempotentReply, Repository

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
API_PREFIX = "/communication-preferences/"
# POSTs that only read (or only compute): a retry must see fresh data, never a replay.
READS_BY_POST = ("/statuses/batch/read", "/statuses/batch/unsubscribe-all/read", "/links/generate")
STATE_KEY = "idempotency"
_VALID_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?")
_PURGE_EVERY = 256  # claims; each purge deletes every expired key


class Replay(Exception):
    """Raised by the claim when the key's request already ran: answer with its response."""

    def __init__(self, reply: IdempotentReply) -> None:
        super().__init__("replay")
        self.reply = reply


class _Discard(Exception):
    """Rolls back a keyed request whose response is not a 2xx."""


@dataclass
class PendingKey:
    """One keyed write request, from the middleware to the claim and back."""

    database: Database
    clock: Clock
    ttl_ms: int
    key: str
    request_line: bytes
    purge: bool
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    portal_id: int = 0
    repo: Repository | None = None  # set once the key is ours

    async def claim(self, portal_id: int, body: bytes) -> None:
        if not _VALID_KEY.fullmatch(self.key):
            raise InvalidInput.field(
                HEADER, f"{HEADER} must be 1 to 255 visible ASCII characters.", "INVALID_VALUE"
            )
        fingerprint = hashlib.sha256(self.request_line + b"\0" + body).hexdigest()
        now = self.clock.now_ms()
        repo = await self.stack.enter_async_context(self.database.request_transaction())
        if self.purge:
            await repo.purge_idempotency_keys(now - self.ttl_ms)
        held = await repo.claim_idempotency_key(
            portal_id, self.key, fingerprint, now, now - self.ttl_ms
        )
        if held is None:
            self.portal_id, self.repo = portal_id, repo
            return
        await self.stack.aclose()  # this request writes nothing: end its transaction now
        if held.fingerprint != fingerprint:
            message = (
                f"{HEADER} {self.key!r} was already used with a different request; "
                "use a new key for a new request."
            )
            raise Conflict(message, [ErrorDetail(message, in_=HEADER, code="KEY_REUSED")])
        if held.status_code is None:  # not reachable: a key commits only with its response
            raise Conflict(f"The request with {HEADER} {self.key!r} has not finished.")
        raise Replay(held)


async def claim(request: Request, portal_id: int) -> None:
    """Called by the auth dependency: claim the request's key, if it has one, for the portal.

    Raises ``Replay`` when the key's request already ran and ``Conflict`` when the key was used
    for another request."""
    pending: PendingKey | None = getattr(request.state, STATE_KEY, None)
    if pending is not None:
        await pending.claim(portal_id, await request.body())


class IdempotencyMiddleware:
    """Finds keyed writes, holds back their response until it is stored and committed."""

    def __init__(self, app: ASGIApp, database: Database, clock: Clock, ttl_seconds: int) -> None:
        self.app = app
        self.database = database
        self.clock = clock
        self.ttl_ms = ttl_seconds * 1000
        self._claims = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key_of(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        pending = PendingKey(
            self.database,
            self.clock,
            self.ttl_ms,
            key,
            b"\0".join(
                [
                    scope["method"].encode(),
                    scope.get("raw_path") or scope["path"].encode(),
                    scope.get("query_string", b""),
                ]
            ),
            purge=next(self._claims) % _PURGE_EVERY == 0,
        )
        scope.setdefault("state", {})[STATE_KEY] = pending
        held: list[Message] = []

        async def hold_once_claimed(message: Message) -> None:
            if pending.repo is None:
                await send(message)
            else:
                held.append(message)

        try:
            async with pending.stack:
                await self.app(scope, receive, hold_once_claimed)
                if pending.repo is not None:
                    await self._store(pending, pending.repo, held)
        except _Discard:
            pass
        for message in held:
            await send(message)

    async def _store(self, pending: PendingKey, repo: Repository, held: list[Message]) -> None:
        status = held[0].get("status", 0) if held else 0
        if not 200 <= status < 300:
            raise _Discard
        headers = dict(held[0].get("headers", []))
        body = b"".join(m.get("body", b"") for m in held[1:])
        content_type = headers.get(b"content-type", b"application/json").decode("latin-1")
        await repo.record_idempotent_reply(
            pending.portal_id, pending.key, status, content_type, body
        )


def _key_of(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
        return None
    if not scope["path"].startswith(API_PREFIX) or scope["path"].endswith(READS_BY_POST):
        return None
    for name, value in scope.get("headers", []):
        if name == b"idempotency-key":
            return str(value.decode("latin-1"))
    return None


def install_replay_handler(app: FastAPI) -> None:
    @app.exception_handler(Replay)
    async def _replay(_request: Request, exc: Replay) -> Response:
        reply = exc.reply
        return Response(
            content=reply.body or b"",
            status_code=reply.status_code or 200,
            media_type=reply.content_type,
            headers={REPLAYED_HEADER: "true"},
        )
