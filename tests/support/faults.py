"""What the database-fault tests share: the password they must never see, and how a process that
could not use its database must have said so."""

from __future__ import annotations

import itertools
import re
import time
from datetime import datetime

import httpx

from tests.support.server import Server

# Trust authentication ignores it; it must never show.
PASSWORD = "fault-pw-3141"
# Words a traceback or a leaked driver exception would show.
DRIVER_WORDS = ("Traceback", "asyncpg", "sqlite3", "sqlalchemy", "Error:", "Exception")


def wait_for_failures(process: Server, count: int, timeout: float = 20) -> list[str]:
    """The webhook worker's first ``count`` log lines about a database it could not use."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        failures = [line for line in process.log().splitlines() if "delivery paused" in line]
        if len(failures) >= count:
            return failures[:count]
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} failures logged:\n{process.log()}")


def assert_one_line_records(log: str) -> None:
    """Every record is one timestamped line, and none shows a traceback or a driver's names."""
    for line in log.splitlines():
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", line), log
    for word in DRIVER_WORDS:
        assert word not in log, log
    assert PASSWORD not in log


def assert_backing_off(failures: list[str], poll: float = 0.05) -> None:
    """Retries wait longer each time (the poll interval doubled after each failure, less up to
    half of it at random), not once a poll."""
    moments = [datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f") for line in failures]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
    assert len(gaps) >= 3, failures
    # After the n-th failure in a row the wait is at least poll * 2^(n-1) / 2.
    assert gaps[-1] >= 0.9 * poll * 2 ** (len(gaps) - 1) / 2, gaps
    assert gaps[-1] > gaps[0], gaps


def assert_unavailable(answer: httpx.Response, hidden: str) -> None:
    """A 503 in HubSpot's error body that does not say where the database is (``hidden``)."""
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["status"] == "error"
    assert body["category"] == "SERVICE_UNAVAILABLE"
    assert body["correlationId"] == answer.headers["x-hubspot-correlation-id"]
    assert answer.headers["retry-after"].isdigit()
    assert hidden not in body["message"]
