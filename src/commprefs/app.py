"""``create_app(settings)``: the one place where the HTTP application is assembled; and what
``commprefs serve`` needs to serve it (``run_server``, ``check_rate_limit_store``), so that the CLI
reaches the HTTP entry points only through here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute

from commprefs import __version__
from commprefs.api.access_log import mask_access_log
from commprefs.api.admin import routes as admin_routes
from commprefs.api.admin.transfer import IMPORT_UPLOADS
from commprefs.api.body_limits import BodyLimits
from commprefs.api.commprefs_v1 import routes as ledger_routes
from commprefs.api.deps import document_bearer_security
from commprefs.api.emulator.capture import FaultInjection, JournalCapture
from commprefs.api.emulator.routes import install_emulator
from commprefs.api.errors import install_error_handlers
from commprefs.api.health import router as health_router
from commprefs.api.http_limits import limited_protocol
from commprefs.api.idempotency import IdempotencyMiddleware, install_replay_handler
from commprefs.api.metrics import (
    RequestObserver,
    install_metrics,
    process_ended,
    share_between_workers,
)
from commprefs.api.middleware import BodyReadTimeout, RequestContext, StrictPathDecoding
from commprefs.api.oauth import routes as oauth_routes
from commprefs.api.ratelimit import RateLimitHeaders, build_rate_limiter, check_redis
from commprefs.api.v1 import routes as v1_routes
from commprefs.api.v3.routes import build_router as build_v3_router
from commprefs.api.v3.schemas import add_request_schema
from commprefs.api.v4.routes import build_router as build_v4_router
from commprefs.config import Settings
from commprefs.confirmations.worker import mailing
from commprefs.console.routes import router as console_router
from commprefs.domain.clock import Clock
from commprefs.observability.logs import uvicorn_log_config
from commprefs.pages import confirmations as confirmation_pages
from commprefs.pages.oauth_consent import router as consent_router
from commprefs.pages.render import PageRenderer
from commprefs.pages.routes import router as pages_router
from commprefs.portals.service import Bootstrap
from commprefs.services import Services
from commprefs.webhooks.worker import delivering

V4_PREFIXES = {
    "v4": "/communication-preferences/v4",
    "2026-03": "/communication-preferences/2026-03",
    # Issue 14: the next date versions, the same ten operations (api/v4/batch.py: no 207).
    "2026-09": "/communication-preferences/2026-09",
    "2025-09": "/communication-preferences/2025-09",
}


def _operation_id(route: APIRoute) -> str:
    # HubSpot's convention: "<method>-<path>", e.g. "post-/communication-preferences/v4/…".
    return f"{sorted(route.methods or ())[0].lower()}-{route.path_format}"


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    on_first_start: Callable[[Services, Bootstrap], Awaitable[None]] | None = None,
    migrated: bool = False,
) -> FastAPI:
    """The ASGI app. Migrates the database at start-up (unless the caller just did:
    ``migrated``); with ``on_first_start``, also seeds an empty database with a default portal
    and hands what it created to the callback."""
    services = Services.build(settings, clock)
    emulator = services.emulator  # Emulator mode (issue 15): None otherwise
    rate_limiter = build_rate_limiter(settings, emulator.clock if emulator else None)
    mask_access_log()  # erasure (issue 16): access logs never hold an address

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if rate_limiter is not None:
            await rate_limiter.start()
        if not migrated:
            await services.upgrade()
        if on_first_start is not None:
            created = await services.portals.bootstrap_if_empty()
            if created is not None:
                await on_first_start(services, created)
        worker = (
            delivering(services.webhooks, settings)
            if settings.webhook_worker
            else contextlib.nullcontext()
        )
        # Double opt-in (issue 16): confirmation mails go out wherever SMTP is configured.
        mail = (
            mailing(services.confirmations, settings)
            if services.confirmations.mail_configured
            else contextlib.nullcontext()  # confirmation mails wait for a server that has SMTP
        )
        async with worker, mail:
            yield
        await services.close()
        if settings.metrics:
            process_ended()
        if rate_limiter is not None:
            await rate_limiter.close()

    app = FastAPI(
        title="commprefs — Communication Preferences API",
        version=__version__,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url="/docs",
        redoc_url=None,
        # HubSpot does not redirect a path with a trailing slash, and Starlette's redirect would
        # build its Location from the client's Host header: such a path is a 404.
        redirect_slashes=False,
    )
    app.state.services = services
    app.state.rate_limiter = rate_limiter
    install_error_handlers(app)
    install_replay_handler(app)
    for api, prefix in V4_PREFIXES.items():
        app.include_router(build_v4_router(api), prefix=prefix)
    app.include_router(ledger_routes.build_router(), prefix=ledger_routes.PREFIX)
    app.include_router(build_v3_router(), prefix="/communication-preferences/v3")
    # Email Subscriptions v1 (issue 14), HubSpot's legacy API.
    app.include_router(v1_routes.build_router(), prefix=v1_routes.PREFIX)
    app.include_router(oauth_routes.build_router(), prefix=oauth_routes.PREFIX)  # issue 14
    # The admin API (issue 17).
    app.include_router(admin_routes.build_router(), prefix=admin_routes.PREFIX)
    generate_document = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = add_request_schema(generate_document())
            document_bearer_security(generated)
            app.openapi_schema = generated
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
    app.include_router(confirmation_pages.router)  # issue 16; before the pages' catch-all
    app.include_router(pages_router)
    app.include_router(consent_router)  # issue 14: the OAuth consent page
    app.state.page_renderer = PageRenderer()
    # Health in every mode; the emulator's control API only under `serve --emulator` (issue 15).
    app.include_router(health_router)
    if emulator is not None:  # mounted: its own document, nothing of it in /openapi.json
        install_emulator(app, settings, rate_limiter)
    app.include_router(console_router)  # the web console (issue 17)
    # Innermost first. Idempotency holds responses back until stored, so it sits inside the
    # headers that must be fresh on a replay (rate limit, correlation id).
    app.add_middleware(IdempotencyMiddleware, idempotency=services.idempotency)
    if emulator is not None:  # Emulator mode (issue 15): faults answer before anything writes
        app.add_middleware(FaultInjection, faults=emulator.faults)
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.max_body_bytes,
        larger={IMPORT_UPLOADS: settings.max_import_bytes},  # issue 17: the admin API's imports
    )
    app.add_middleware(BodyReadTimeout, seconds=settings.request_body_timeout)
    app.add_middleware(RateLimitHeaders)
    if emulator is not None:  # Emulator mode (issue 15): the journal sees every answer
        app.add_middleware(JournalCapture, journal=emulator.journal, served=app)
    # Metrics and logs (issue 17): inside StrictPathDecoding, whose scope the router fills in
    # (the matched route names the operation).
    observe_logs = settings.log_format == "json"
    if settings.metrics:
        install_metrics(app, services, settings.metrics_token.get_secret_value())
    if settings.metrics or observe_logs:
        app.add_middleware(
            RequestObserver, services=services, metrics=settings.metrics, log=observe_logs
        )
    app.add_middleware(StrictPathDecoding)
    app.add_middleware(RequestContext, clock=services.clock)
    return app


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server that logs one line "ready" once it listens and its start-up (migration,
    the emulator's seed) is done: what a supervisor or a test suite may wait for."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            logging.getLogger("uvicorn.error").info("ready")


def create_app_from_environment() -> FastAPI:
    """The app with settings from ``COMMPREFS_*`` only: the factory that process managers import
    in each worker (``commprefs serve --workers N``, ``uvicorn --factory``)."""
    return create_app(Settings())


def check_rate_limit_store(settings: Settings) -> None:
    """Before serving: raise ``RuntimeError`` with one readable line when the rate limit is on and
    its Redis does not answer."""
    if settings.rate_limit and settings.redis_url:
        asyncio.run(check_redis(settings.redis_url))


def run_server(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    on_first_start: Callable[[Services, Bootstrap], Awaitable[None]] | None = None,
    migrated: bool = False,
) -> None:
    """Serve the app with uvicorn until stopped: in this process (``workers`` 1, with
    ``create_app``'s ``on_first_start`` and ``migrated``), or in ``workers`` processes that each
    build it from the ``COMMPREFS_*`` environment, filled here from ``settings``."""
    server_options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": False,
        "http": limited_protocol(settings),
        "timeout_keep_alive": settings.keep_alive_timeout,
        # Consent context (issue 16): commprefs decides whose X-Forwarded-For it believes
        # (COMMPREFS_TRUSTED_PROXIES, domain/consent.py); uvicorn's own rewriting of the client
        # from 127.0.0.1's header would pre-empt that.
        "proxy_headers": False,
    }
    if settings.log_format == "json":  # issue 17: every process logs JSON lines
        server_options["log_config"] = uvicorn_log_config()
    if workers == 1:
        asgi = create_app(settings, on_first_start=on_first_start, migrated=migrated)
        server = _AnnouncingServer(uvicorn.Config(asgi, **server_options))
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        if not server.started:  # as uvicorn.run: a failed start-up is exit status 3
            sys.exit(3)
        return
    os.environ.update(settings.environment())
    if settings.metrics:
        share_between_workers()
    uvicorn.run(
        "commprefs.app:create_app_from_environment",
        factory=True,
        workers=workers,
        **{**server_options, "http": "commprefs.api.http_limits:EnvironmentLimitedProtocol"},
    )
