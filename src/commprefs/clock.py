"""Time, as an interface, so that tests can fix it without patching."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


def iso_ms(epoch_ms: int) -> str:
    """HubSpot's timestamp form: UTC, milliseconds, ``Z`` (``2024-08-02T19:28:39.390Z``).

    A batch read renders a thousand of these, so the fixed-width parts come from tables made
    once and the date from a small cache; datetime and strftime would cost ten times as much.
    """
    seconds, millis = divmod(epoch_ms, 1000)
    days, second = divmod(seconds, 86_400)
    minute, second = divmod(second, 60)
    return _date_t(days) + _HOUR_MINUTE[minute] + _SECOND[second] + _MILLIS[millis]


@lru_cache(maxsize=4096)
def _date_t(days: int) -> str:
    """``YYYY-MM-DDT`` of a day counted from 1970-01-01."""
    return date.fromordinal(_EPOCH_ORDINAL + days).isoformat() + "T"


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_HOUR_MINUTE = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECOND = [f"{s:02d}." for s in range(60)]
_MILLIS = [f"{m:03d}Z" for m in range(1000)]


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
