"""Logs never hold an address (erasure, issue 16): uvicorn's access log, when a deployment turns
it on (``uvicorn --factory …`` logs every request by default), gets each path with the parts that
hold an address masked (domain/urls.py ``masked_path``), as our own log lines do."""

from __future__ import annotations

import logging

from commprefs.domain.urls import masked_path

ACCESS_LOGGER = "uvicorn.access"


class MaskAddresses(logging.Filter):
    """Rewrites the path of uvicorn's access records: (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], masked_path(args[2]), *args[3:])
        return True


def mask_access_log() -> None:
    """Install the filter once per process (every app built in it shares the logger)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, MaskAddresses) for f in logger.filters):
        logger.addFilter(MaskAddresses())
