"""``commprefs webhooks run`` in a child process, with delivery timings fit for tests."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support import launch
from tests.support.server import COMMPREFS, Server

# Quick polls and short waits: the same code paths as production, seconds apart instead of hours.
FAST_DELIVERY = {
    "COMMPREFS_WEBHOOK_POLL_SECONDS": "0.05",
    "COMMPREFS_WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
    "COMMPREFS_WEBHOOK_BACKOFF_MAX_SECONDS": "2",
    "COMMPREFS_WEBHOOK_TIMEOUT_SECONDS": "1",
}


class Worker(Server):
    """Started and stopped like a server (``stop(signal)``, ``log()``), but serves no HTTP."""

    def __init__(self, database_url: str, log_path: Path, **env: str) -> None:
        super().__init__(database_url, log_path, **{**FAST_DELIVERY, **env})

    def start(self, timeout: float = 0) -> Worker:
        with self.log_path.open("ab") as log:
            self.process = launch.popen(
                [COMMPREFS, "webhooks", "run", "--database", self.database_url],
                stdout=log,
                env={**os.environ, **self.env},
            )
        return self
