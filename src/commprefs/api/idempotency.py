"""``Idempotency-Key`` on writes: our extension of HubSpot's API, over HTTP.

Any write (POST, PUT or DELETE under ``/communication-preferences/`` other than the batch reads and
link generation, which change nothing, and under our ``/commprefs/v1/``) may carry
``Idempotency-Key`` (1 to 255 visible ASCII characters). The first request with a key runs, and its
2xx response is stored; a retry with the same key and the same method, path, query and body gets
that response again, byte for byte, with ``Idempotent-Replayed: true``, and runs nothing. The same
key with a different request is a 409. Keys belong to the token's portal and are forgotten after
``COMMPREFS_IDEMPOTENCY_TTL_SECONDS``. A response other than 2xx is not stored (nothing was
written), so its retry runs again; nor is anything of a request whose transaction fails as it ends
(the database gone under the operation, the reply or the commit): its answer is the 503 an un-keyed
write gets, and its retry runs again (or replays, if the commit took after all). Every route that
authenticates through ``api.deps.require`` is covered: the middleware sees the header, the auth
dependency claims the key for the portal and hands the operation the services bound to the
transaction that holds it.

The rules, that transaction, and how they make a write apply once (the claim, the write and the
stored response commit together, and the response is sent only after that commit) are the
idempotency service's: idempotency/service.py. Here: finding the key in a request, holding the
response back until it is stored and committed, and answering a replay.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commprefs.api.errors import answer_domain_error
from commprefs.domain.errors import CommprefsError
from commprefs.idempotency.service import (
    IdempotencyService,
    NotKept,
    Replay,
    RequestTransaction,
    fingerprint,
)

REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
# HubSpot's paths, and ours (issue 16: a double opt-in request queues one mail, however retried).
API_PREFIXES = ("/communication-preferences/", "/commprefs/v1/")
# POSTs that only read (or only compute): a retry must see fresh data, never a replay.
READS_BY_POST = ("/statuses/batch/read", "/statuses/batch/unsubscribe-all/read", "/links/generate")
STATE_KEY = "idempotency"


@dataclass
class PendingKey:
    """One keyed write request, from the middleware to the claim and back."""

    idempotency: IdempotencyService
    key: str
    method: str
    path: bytes
    query: bytes
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)  # the middleware ends it
    transaction: RequestTransaction | None = None  # set once the key is ours

    async def claim(self, portal_id: int, body: bytes) -> RequestTransaction:
        if self.transaction is None:
            claimed = self.idempotency.claim(
                portal_id, self.key, fingerprint(self.method, self.path, self.query, body)
            )
            self.transaction = await self.stack.enter_async_context(claimed)
        return self.transaction


async def claim(request: Request, portal_id: int) -> RequestTransaction | None:
    """Called by the auth dependency: claims the request's key, if it has one, for the portal,
    and returns the transaction that holds it, which the request's operation must run in. None
    for a request without a key.

    Raises ``Replay`` when the key's request already ran and ``Conflict`` when the key was used
    for another request."""
    # Every HTTP request has its state by now (api/middleware.py RequestContext).
    pending: PendingKey | None = request.scope["state"].get(STATE_KEY)
    if pending is None:
        return None
    return await pending.claim(portal_id, await request.body())


class IdempotencyMiddleware:
    """Finds keyed writes, holds back their response until it is stored and committed."""

    def __init__(self, app: ASGIApp, idempotency: IdempotencyService) -> None:
        self.app = app
        self.idempotency = idempotency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key_of(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        pending = PendingKey(
            self.idempotency,
            key,
            scope["method"],
            scope.get("raw_path") or scope["path"].encode(),
            scope.get("query_string", b""),
        )
        scope.setdefault("state", {})[STATE_KEY] = pending
        held: list[Message] = []

        async def hold_once_claimed(message: Message) -> None:
            if pending.transaction is None:
                await send(message)
            else:
                held.append(message)

        try:
            async with pending.stack:
                await self.app(scope, receive, hold_once_claimed)
                if pending.transaction is not None:
                    await pending.transaction.keep(*_reply(held))
        except NotKept:
            pass
        except CommprefsError as error:
            if pending.transaction is None:
                raise  # not from the transaction's end (the app answered such errors itself)
            # The request's transaction failed as it ended: its database went away under the
            # operation, the reply's recording or the commit (DatabaseUnavailable). The reply
            # held back is not what happened; the answer is what an un-keyed write gets. (If the
            # commit took after all, the key holds the reply, and a retry replays it.)
            answer = answer_domain_error(Request(scope), error)
            await answer(scope, receive, send)
            return
        for message in held:
            await send(message)


def _reply(held: list[Message]) -> tuple[int, str, bytes]:
    """The status, content type and body of a response held back whole."""
    if not held:
        return 0, "", b""
    headers = dict(held[0].get("headers", []))
    content_type = headers.get(b"content-type", b"application/json").decode("latin-1")
    return held[0].get("status", 0), content_type, b"".join(m.get("body", b"") for m in held[1:])


def _key_of(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
        return None
    if not scope["path"].startswith(API_PREFIXES) or scope["path"].endswith(READS_BY_POST):
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
