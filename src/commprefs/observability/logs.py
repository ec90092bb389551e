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
from typing import Any

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

_SECRETS = [
    # An address: local part, "@" or its escape, domain (as in a path, a body or a message).
    (
        re.compile(r"[^\s/\"'<>()\[\],;:=?&]+(?:@|%40)[^\s/\"'<>()\[\],;:=?&]+", re.IGNORECASE),
        "***@***",
    ),
    (re.compile(r"cpat-[A-Za-z0-9_\-]+"), "cpat-***"),
    (re.compile(r"whsec_[A-Za-z0-9_\-]+"), "whsec_***"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"']+"), r"\1***"),
    (re.compile(r"(://[^/\s:@]*:)[^@/\s]*@"), r"\1***@"),  # a URL's password
]


def scrub(text: str) -> str:
    """``text`` with addresses, tokens, secrets and URL passwords masked."""
    for pattern, replacement in _SECRETS:
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
                line[name] = scrub(value) if isinstance(value, str) else value
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


def use_json_logs(level: int = logging.INFO) -> None:
    """JSON lines on stdout for a process uvicorn does not configure (``webhooks run``)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
