"""``/_commprefs``: the emulator's control API (``serve --emulator``), no token needed.

POST /_commprefs/seed         a seed document (JSON or YAML) becomes the state and the baseline
GET  /_commprefs/seed/schema  the seed document's JSON Schema
POST /_commprefs/reset        back to exactly the baseline (also: journal, faults, clock)
GET  /_commprefs/state        the current state as a seed document
GET|DELETE /_commprefs/requests              the request journal (journal.py)
GET|POST|DELETE /_commprefs/faults[/{id}]    injected faults (faults.py)
GET|PUT|DELETE /_commprefs/clock, POST …/advance  the clock (clock.py)
GET  /_commprefs/openapi.json this API's own OpenAPI document (not in HubSpot's /openapi.json)

``install_emulator`` (called by app.py under ``--emulator``) starts the emulator after the app's
own start-up, registers what a reset must also forget (``Emulator.on_reset``: the rate-limit
counters; the emulator itself empties its journal, removes its faults and returns its clock to
real time) and mounts the app that ``build_control_app`` makes. ``ROUTERS`` are the sub-routers
it includes (each module beside this one exposes ``router``), with paths relative to ``PREFIX``;
a route finds the emulator at ``request.app.state.services.emulator`` (the control app shares
the main app's state).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel
from starlette.datastructures import State
from starlette.responses import Response

from commprefs import __version__
from commprefs.api.emulator import clock, faults, journal
from commprefs.api.emulator.controls import controls
from commprefs.api.errors import install_error_handlers
from commprefs.api.ratelimit import RateLimiter
from commprefs.api.responses import JSONBody
from commprefs.api.v4.schemas import Error
from commprefs.config import Settings
from commprefs.emulator.schemas import SeedDocument, seed_schema
from commprefs.emulator.seed import load_seed_file, read_seed
from commprefs.emulator.service import Emulator

PREFIX = "/_commprefs"
ERRORS: dict[int | str, dict[str, Any]] = {"default": {"model": Error, "description": "An error."}}
_SEED_DOCUMENT = "SeedDocument"
_SEED_REF = {"$ref": f"#/components/schemas/{_SEED_DOCUMENT}"}

router = APIRouter(responses=ERRORS)


class Done(BaseModel):
    """What a seed or a reset answers: that it is done, and how long it took in the server."""

    status: str
    durationMs: float  # noqa: N815 - the wire name


@router.post(
    "/seed",
    operation_id="applySeed",
    response_model=Done,
    summary="Replace the state and the baseline with a seed document (JSON or YAML)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _SEED_REF},
            },
        }
    },
)
async def seed(request: Request) -> Response:
    started = time.perf_counter()
    document = read_seed(await request.body())
    await controls(request).seed(document)
    return JSONBody({"status": "seeded", "durationMs": _ms_since(started)})


@router.get(
    "/seed/schema", operation_id="readSeedSchema", summary="The seed document's JSON Schema"
)
async def schema() -> Response:
    return JSONBody(seed_schema())


@router.post(
    "/reset",
    operation_id="reset",
    response_model=Done,
    summary="Return to exactly the baseline; empty the journal, remove the faults, real time",
)
async def reset(request: Request) -> Response:
    started = time.perf_counter()
    await controls(request).reset()
    return JSONBody({"status": "reset", "durationMs": _ms_since(started)})


@router.get(
    "/state",
    operation_id="readState",
    summary="The current state as a seed document",
    responses={200: {"content": {"application/json": {"schema": _SEED_REF}}}},
)
async def state(request: Request) -> Response:
    document = await controls(request).state()
    return JSONBody(document.wire())


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


# The sub-routers, in this order.
ROUTERS: list[APIRouter] = [router, journal.router, faults.router, clock.router]


def install_emulator(app: FastAPI, settings: Settings, rate_limiter: RateLimiter | None) -> None:
    """Under ``serve --emulator``: the emulator starts (its seed applied) once the app's own
    start-up has migrated, its control API is mounted at ``PREFIX``, and a reset also forgets
    the rate-limit counters."""
    emulator: Emulator = app.state.services.emulator
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi: FastAPI) -> AsyncIterator[None]:
        async with inner(asgi):
            await emulator.start(load_seed_file(settings.seed) if settings.seed else None)
            yield

    app.router.lifespan_context = lifespan
    app.state.api_document = app.openapi  # the operationIds that faults may name
    if rate_limiter is not None:
        emulator.on_reset(rate_limiter.reset)
    app.mount(PREFIX, build_control_app(app.state))


def build_control_app(state: State) -> FastAPI:
    """The control API as an app to mount at ``PREFIX``, sharing the main app's ``state``
    (``services``, with the emulator)."""
    control = FastAPI(
        title="commprefs emulator control API",
        version=__version__,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        redirect_slashes=False,
        root_path_in_servers=False,
    )
    control.state = state
    install_error_handlers(control)
    for sub in ROUTERS:
        control.include_router(sub, responses=ERRORS)
    generate = control.openapi

    def document() -> dict[str, Any]:
        if control.openapi_schema is None:
            control.openapi_schema = _absolute(generate())
        return control.openapi_schema

    control.openapi = document  # type: ignore[method-assign]
    return control


def _absolute(document: dict[str, Any]) -> dict[str, Any]:
    """Paths as clients call them (``/_commprefs/…``) and the seed's models among the
    components, so that the document stands alone."""
    document.pop("servers", None)
    document["paths"] = {PREFIX + path: item for path, item in document["paths"].items()}
    models = SeedDocument.model_json_schema(
        by_alias=True, ref_template="#/components/schemas/{model}"
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(models.pop("$defs", {}))
    schemas[_SEED_DOCUMENT] = models
    return document
