"""Structured logs (``COMMPREFS_LOG_FORMAT=json``): one JSON object per line — time, level,
logger, message and, for a request, its correlation id, operation, status, duration and token id.

Nothing personal or secret is written: every message (and traceback) is scrubbed of email
addresses (also percent-encoded, as they appear in paths), access tokens, webhook secrets and
bearer credentials before it is formatted (``scrub``). The request's correlation id reaches every
line logged while it is served through a context variable (``CORRELATION_ID``).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from contextvars import ContextVar
from typing import Any, TextIO

import orjson

CORRELATION_ID: ContextVar[str | None] = ContextVar("commprefs_correlation_id", default=None)

# The request fields api/metrics.py's observer passes as ``extra``; JSON names in the output.
REQUEST_FIELDS = {
    "operation": "operation",
    "method": "method",
    "path": "path",
    "status": "status",
    "duration_ms": "durationMs",
    "token_id": "tokenId",
}

# Each pattern with what a text must hold for it to be tried: most lines hold none of these,
# and a look for a substring costs a fraction of a regular expression's search.
_SECRETS = [
    ("://", re.compile(r"(://[^/\s:@]*:)[^@/\s]*@"), r"\1***@"),  # a URL's password, first
    (
        "@",
        re.compile(r"[^\s/\"'<>()\[\],;:=?&*]+(?:@|%40)[^\s/\"'<>()\[\],;:=?&]+", re.IGNORECASE),
        "***@***",
    ),
    ("cpat-", re.compile(r"cpat-[A-Za-z0-9_\-]+"), "cpat-***"),
    ("whsec_", re.compile(r"whsec_[A-Za-z0-9_\-]+"), "whsec_***"),
    ("bearer", re.compile(r"(?i)(bearer\s+)[^\s\"']+"), r"\1***"),
]


def scrub(text: str) -> str:
    """``text`` with addresses (also as ``%40``), tokens, secrets and URL passwords masked."""
    folded = text.lower().replace("%40", "@")
    for trigger, pattern, replacement in _SECRETS:
        if trigger in folded:
            text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        correlation = getattr(record, "correlation_id", None) or CORRELATION_ID.get()
        if correlation:
            line["correlationId"] = correlation
        for attribute, name in REQUEST_FIELDS.items():
            value = getattr(record, attribute, None)
            if value is not None:
                # The operation is a route's template, never anything a client sent.
                line[name] = scrub(value) if attribute == "path" else value
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return orjson.dumps(line).decode()


def _iso(created: float) -> str:
    seconds = int(created)
    milliseconds = int((created - seconds) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{milliseconds:03d}Z"


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's ``log_config`` (applied in every worker process) for JSON lines on stdout: its
    own loggers and the root logger (commprefs.*) through the one formatter."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": handler},
        "root": {"handlers": ["json"], "level": level},
        "loggers": {
            name: {"handlers": [], "level": level, "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def use_json_logs(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """JSON lines on stdout (or ``stream``) for a process uvicorn does not configure (``webhooks
    run``, the in-process benchmark)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
