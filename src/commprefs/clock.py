"""Time, as an interface, so that tests can fix it without patching."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


def iso_ms(epoch_ms: int) -> str:
    """HubSpot's timestamp form: UTC, milliseconds, ``Z``."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> int:
    """Epoch milliseconds from ISO-8601 (``Z``, an offset, or none meaning UTC; a bare date is its
    midnight UTC) or from epoch milliseconds written as digits. ValueError otherwise."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment < _EPOCH:
        raise ValueError(f"{value!r} is before 1970")
    return (moment - _EPOCH) // timedelta(milliseconds=1)
