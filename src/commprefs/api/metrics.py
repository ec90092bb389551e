"""Metrics (``COMMPREFS_METRICS=true``) and the per-request log line (``COMMPREFS_LOG_FORMAT=
json``): one ASGI middleware observes every request, ``GET /metrics`` answers in Prometheus'
text format, optionally behind a bearer token (``COMMPREFS_METRICS_TOKEN``).

Counters and histograms are per process; under ``serve --workers N`` prometheus-client's
multi-process mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``serve``) sums them over the workers.
What is the database's rather than a process's — webhook backlog and lag, the email backlog — is
read from it when scraped. ``/metrics`` itself is neither counted nor logged.
"""

from __future__ import annotations

import hmac
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commprefs.api.errors import correlation_id, error_body
from commprefs.api.responses import JSONBody
from commprefs.domain.errors import CommprefsError
from commprefs.observability.logs import CORRELATION_ID
from commprefs.services import Services

METRICS_PATH = "/metrics"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # a path no route serves: one label for all, never the path itself

REQUESTS = Counter(
    "commprefs_http_requests",
    "HTTP requests answered, by operation and status.",
    ["operation", "status"],
)
LATENCY = Histogram(
    "commprefs_http_request_duration_seconds",
    "Time to answer a request, by operation.",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RATE_LIMITED = Counter(
    "commprefs_rate_limited_requests", "Requests refused by the rate limit (429)."
)
FAULTED = Counter("commprefs_faulted_requests", "Requests answered with a server error (5xx).")
LEDGER_WRITTEN = Counter(
    "commprefs_ledger_entries_written", "Ledger entries appended by committed transactions."
)
POOL_IN_USE = Gauge(
    "commprefs_database_connections_in_use",
    "Database connections handed out (at the end of each request and when scraped).",
    multiprocess_mode="livesum",
)

access_log = logging.getLogger("commprefs.access")


def operation_of(scope: Scope) -> str:
    """``METHOD /path/{template}`` of the route that served the request (never the raw path:
    it may hold an address, and every address would be a label of its own)."""
    # FastAPI matches an included router's routes in their prefix's context, which holds the
    # whole path; a route of the app itself has it in its own.
    context = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(context, "path_format", None) or getattr(scope.get("route"), "path_format", None)
    if path is None and "endpoint" in scope and not scope.get("path_params"):
        path = scope["path"]  # a plain route of a fixed path (the OpenAPI document, /docs)
    return f"{scope['method']} {path}" if path else UNMATCHED


class RequestObserver:
    """Counts and times every request (``metrics``) and logs one line for it (``log``)."""

    def __init__(self, app: ASGIApp, services: Services, metrics: bool, log: bool) -> None:
        self.app = app
        self.database = services.database
        self.metrics = metrics
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what an exception that escapes the app becomes
        state: dict[str, Any] = scope.setdefault("state", {})
        reset = CORRELATION_ID.set(state.get("request_id"))

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            elapsed = time.perf_counter() - started
            operation = operation_of(scope)
            if self.metrics:
                REQUESTS.labels(operation, str(status)).inc()
                LATENCY.labels(operation).observe(elapsed)
                if status == 429:
                    RATE_LIMITED.inc()
                elif status >= 500:
                    FAULTED.inc()
                POOL_IN_USE.set(self.database.connections_in_use)
            if self.log:
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    operation,
                    status,
                    extra={
                        "operation": operation,
                        "method": scope["method"],
                        "path": scope["path"],  # scrubbed of addresses by the formatter
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                        "token_id": state.get("token_id"),
                    },
                )
            CORRELATION_ID.reset(reset)


class DatabaseGauges(Collector):
    """What the database knows, read at each scrape."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.backlog: tuple[int, int | None] = (0, None)
        self.available = True

    async def refresh(self) -> None:
        """Read them again; while the database cannot be used, the scrape still answers, with
        the last values read and ``commprefs_database_available`` 0."""
        try:
            self.backlog = await self.services.webhooks.backlog()
            self.available = True
        except CommprefsError:
            self.available = False

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending, oldest = self.backlog
        now = self.services.clock.now_ms()
        yield GaugeMetricFamily(
            "commprefs_database_available",
            "1 when the database answered this scrape, else 0 (the gauges below are older).",
            1 if self.available else 0,
        )
        yield GaugeMetricFamily(
            "commprefs_webhook_backlog_events", "Change events not yet acknowledged.", pending
        )
        yield GaugeMetricFamily(
            "commprefs_webhook_lag_seconds",
            "Age of the oldest change event not yet acknowledged (0: none waits).",
            0.0 if oldest is None else max(0.0, (now - oldest) / 1000),
        )
        # The double opt-in mailer (another feature) fills this in; until it lands none waits.
        yield GaugeMetricFamily("commprefs_email_backlog_messages", "Emails waiting to be sent.", 0)


def install_metrics(app: Any, services: Services, token: str) -> None:
    """``GET /metrics`` on ``app`` (not in the OpenAPI document: it is for Prometheus)."""
    services.database.on_ledger_written = LEDGER_WRITTEN.inc
    gauges = DatabaseGauges(services)

    async def metrics(request: Request) -> Response:
        if token and not _authorised(request, token):
            body = error_body(
                401,
                "INVALID_AUTHENTICATION",
                "A valid metrics token is required.",
                correlation_id(request),
            )
            return JSONBody(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        await gauges.refresh()
        POOL_IN_USE.set(services.database.connections_in_use)
        registry = CollectorRegistry()
        if MULTIPROC_DIR in os.environ:
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            registry.register(gauges)
            payload = generate_latest(registry)
        else:
            registry.register(gauges)
            payload = generate_latest(REGISTRY) + generate_latest(registry)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)

    app.add_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)


def share_between_workers() -> None:
    """Before ``serve --workers N`` starts its workers: prometheus-client's multi-process mode,
    in ``PROMETHEUS_MULTIPROC_DIR`` (emptied of an earlier run's files) or a new directory."""
    folder = os.environ.get(MULTIPROC_DIR)
    if not folder:
        os.environ[MULTIPROC_DIR] = tempfile.mkdtemp(prefix="commprefs-metrics-")
        return
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def process_ended() -> None:
    """A worker that stops takes its live gauges with it (multi-process mode)."""
    if MULTIPROC_DIR in os.environ:
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
