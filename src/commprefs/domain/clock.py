"""Time: the clock as an interface, so that tests can fix it without patching; and instants as
commprefs writes them (iso_ms) and reads them from clients (parse_instant, the one rule for every
time a client gives: API parameters, import rows, CLI options)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from commprefs.domain.numbers import ascii_digits


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
# The instants commprefs holds: from the epoch (times are unsigned epoch ms) to the last
# millisecond iso_ms and datetime can write. Every time a client gives is read by parse_instant
# and so kept inside these, whatever the entry point (API, import, CLI).
FIRST_INSTANT_MS = 0
LAST_INSTANT_MS = 253_402_300_799_999
INSTANT_RANGE = f"{iso_ms(FIRST_INSTANT_MS)} to {iso_ms(LAST_INSTANT_MS)}"
_MAX_DIGITS = len(str(LAST_INSTANT_MS))


class InstantError(ValueError):
    """A text that is not an instant commprefs can hold; its message says so, for people."""

    def __init__(self, text: str) -> None:
        shown = repr(text) if len(text) <= 64 else f"{text[:64]!r}…"
        super().__init__(
            f"{shown} is not an ISO-8601 instant or epoch milliseconds from {INSTANT_RANGE}"
        )


def parse_instant(text: str) -> int:
    """Epoch milliseconds from ISO-8601 (``Z``, an offset, or none meaning UTC; a bare date is its
    midnight UTC) or from epoch milliseconds written as ASCII digits; InstantError for anything
    else and for anything outside FIRST_INSTANT_MS..LAST_INSTANT_MS."""
    value = text.strip()
    if ascii_digits(value):
        # More digits than the last instant has are out of range; int() would refuse 4,300+.
        moment = int(value) if len(value) <= _MAX_DIGITS else LAST_INSTANT_MS + 1
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InstantError(text) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        moment = (parsed - _EPOCH) // timedelta(milliseconds=1)
    if not FIRST_INSTANT_MS <= moment <= LAST_INSTANT_MS:
        raise InstantError(text)
    return moment
