"""The emulator's two middlewares (issue 15), pure ASGI, added by app.py in emulator mode only:

- ``JournalCapture`` (outside the rate-limit headers and the body limits, so that their answers
  are journaled too) opens a journal entry for each request to the HubSpot API — not the
  control API, the preference pages, health or the documents — and records its body as the app
  reads it and its response as it is sent. Nothing is held back: a streamed response streams.
- ``FaultInjection`` (inside the body limits and the body-read deadline, outside everything
  that writes) offers each such request to the faults; one that answers sends its answer after
  its delay and the app never sees the request, so nothing changes; one that only delays holds
  the request, then hands it on.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commprefs.api.emulator.faults import fault_answer
from commprefs.api.emulator.routes import PREFIX
from commprefs.api.routing import path_pattern
from commprefs.emulator.faults import FaultService
from commprefs.emulator.journal import Journal

# request.state keys: the matched operation (set for journaled requests) and the fault that took it.
OPERATION = "emulator_operation"
FAULT = "emulator_fault"
_CONTROL = PREFIX  # and anything below it


class JournalCapture:
    def __init__(self, app: ASGIApp, journal: Journal, served: FastAPI) -> None:
        self.app = app
        self.journal = journal
        self.served = served  # the app whose document names the operations
        self._operations: Operations | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if not path or path == PREFIX or path.startswith(_CONTROL):  # the control API
            await self.app(scope, receive, send)
            return
        journaled, operation = self._operation(scope)
        if not journaled:
            await self.app(scope, receive, send)
            return
        state = scope["state"]  # api/middleware.py RequestContext made it, with these keys
        state[OPERATION] = operation
        entry = self.journal.open(
            state["received_ms"],
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            scope.get("headers", []),
            operation,
            state["request_id"],
        )
        started = time.perf_counter()

        async def capturing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                entry.request_body.add(message.get("body", b""))
            return message

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                entry.response_headers = message.get("headers", [])  # sent, so no longer changed
            elif message["type"] == "http.response.body":
                entry.response_body.add(message.get("body", b""))
                if not message.get("more_body", False):
                    entry.duration_ms = round((time.perf_counter() - started) * 1000, 3)
            await send(message)

        try:
            await self.app(scope, capturing_receive, capturing_send)
        except Exception:
            if entry.status is None:  # Starlette's last-resort handler, outside, answers 500
                entry.status = 500
            raise
        finally:
            entry.fault = state.get(FAULT)
            if entry.duration_ms is None:
                entry.duration_ms = round((time.perf_counter() - started) * 1000, 3)

    def _operation(self, scope: Scope) -> tuple[bool, str | None]:
        """Whether the request is journaled, and the operationId of the operation it is for: a
        request to a path of the served document (a 405 if no operation there has its method),
        or to a path that nothing serves (the app's 404); not one to the pages, the documents
        or anything else the document leaves out."""
        if self._operations is None:
            self._operations = Operations(self.served.openapi())
        found = self._operations.find(scope["method"], scope["path"])
        if found is not None:
            return True, found or None
        return all(route.matches(scope)[0] is Match.NONE for route in self.served.routes), None


class Operations:
    """The operations of an OpenAPI document, found by method and path with one regular
    expression per method: the alternation of its paths' templates, fewest parameters first (a
    literal path such as ``…/batch/read`` is its own resource, not a ``{subscriber}``)."""

    def __init__(self, document: dict[str, Any]) -> None:
        paths: dict[str, dict[str, Any]] = document.get("paths", {})
        templates = sorted(paths, key=lambda template: template.count("{"))
        by_method: dict[str, list[tuple[str, str]]] = {}
        for template in templates:
            for method, operation in paths[template].items():
                entry = (template, str(operation.get("operationId", "")))
                by_method.setdefault(method.upper(), []).append(entry)
        self._by_method = {
            method: (_alternation([t for t, _ in entries]), [op for _, op in entries])
            for method, entries in by_method.items()
        }
        self._any = _alternation(templates)

    def find(self, method: str, path: str) -> str | None:
        """The operationId for ``method`` at ``path``; "" when the document has the path but
        not the method; None when it does not have the path."""
        found = self._by_method.get(method)
        if found is not None:
            matched = found[0].match(path)
            if matched is not None and matched.lastgroup is not None:
                return found[1][int(matched.lastgroup[1:])]
        return "" if self._any.match(path) else None


def _alternation(templates: list[str]) -> re.Pattern[str]:
    """One expression matching any of ``templates``; the group ``t<i>`` says which."""
    return re.compile(
        "|".join(f"(?P<t{i}>{path_pattern(t).pattern})" for i, t in enumerate(templates))
    )


class FaultInjection:
    def __init__(self, app: ASGIApp, faults: FaultService) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state", {})
        if not self.faults.armed or scope["type"] != "http" or OPERATION not in state:
            await self.app(scope, receive, send)
            return
        fault = self.faults.take(scope["method"], scope["path"], state[OPERATION])
        if fault is None:
            await self.app(scope, receive, send)
            return
        state[FAULT] = fault.id
        # The body is read before the wait, within the body-read deadline (and journaled).
        messages = await _whole_body(receive)
        await asyncio.sleep(fault.spec.delay_ms / 1000)
        if fault.spec.status is None:

            async def replaying_receive() -> Message:
                return messages.pop(0) if messages else await receive()

            await self.app(scope, replaying_receive, send)
            return
        status, headers, body = fault_answer(fault.spec, state["request_id"])
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _whole_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages
