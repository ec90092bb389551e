"""The API's route class: it knows which API it serves, and a body that is not JSON is reported
after authentication.

A router served under several prefixes (v4 and 2026-03) declares its operations once, as
module-level functions, and gets a route class per prefix (``ApiRoute.serving``): the name each
records in the ledger is the matched route's ``api``, which ``deps.require`` reads (FastAPI puts
the matched route in the request's scope), at no cost beyond an attribute look-up.

FastAPI decodes an operation's JSON body before it solves the operation's dependencies, and
answers a body it cannot decode with a 400 there and then: a client without a token, or over its
rate limit, would hear about its JSON before hearing that it may not call at all. This route
class holds the decoding error back until the dependencies (``deps.require``: authentication,
rate limit, scopes, the idempotency claim) have run, then reports it as the body's only error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from json import JSONDecodeError
from typing import Any, ClassVar, cast

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response


def path_pattern(template: str) -> re.Pattern[str]:
    """The paths an OpenAPI path template stands for: each ``{parameter}`` is one segment."""
    return re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")


# What the body "is" while its decoding error is held: no model validates it.
UNDECODABLE = object()


class _HeldErrorRequest(Request):
    """A request whose ``json()`` keeps its decoding error instead of raising it."""

    json_error: ValueError | None = None

    async def json(self) -> Any:
        try:
            return await super().json()
        except ValueError as error:  # not JSON, or bytes that are not UTF-8
            self.json_error = error
            return UNDECODABLE


def _json_invalid(error: ValueError) -> dict[str, Any]:
    position = error.pos if isinstance(error, JSONDecodeError) else None
    return {
        "type": "json_invalid",
        "loc": ("body",) if position is None else ("body", position),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": str(error)},
    }


class ApiRoute(APIRoute):
    api: ClassVar[str] = ""  # the API recorded in the ledger: see ``serving``

    @classmethod
    def serving(cls, api: str) -> type[ApiRoute]:
        """The route class of a router whose operations are recorded as ``api``."""
        return cast(type[ApiRoute], type(f"{cls.__name__}[{api}]", (cls,), {"api": api}))

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def holding_json_errors(request: Request) -> Response:
            held = _HeldErrorRequest(request.scope, request.receive)
            try:
                return await handler(held)
            except RequestValidationError as invalid:
                if held.json_error is None:
                    raise
                others = [e for e in invalid.errors() if tuple(e.get("loc", ()))[:1] != ("body",)]
                raise RequestValidationError(
                    [*others, _json_invalid(held.json_error)]
                ) from held.json_error

        return holding_json_errors
