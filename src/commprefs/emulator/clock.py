"""The emulator's controllable clock (issue 15): real time until a test sets it; then a set
instant that either stands still (frozen) or runs on at real speed from there; moved forward by
``advance``; real time again after ``follow_real_time`` (DELETE /_commprefs/clock, and reset).

In emulator mode it is the one clock of every service (services.py), so every time the service
writes or answers follows it: status timestamps, envelopes, ledger times, link grace periods,
Idempotency-Key lifetimes, rate-limit windows and webhook signature timestamps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from commprefs.domain.clock import LAST_INSTANT_MS, Clock, SystemClock, iso_ms
from commprefs.domain.errors import InvalidInput


@dataclass(frozen=True)
class ClockReading:
    now_ms: int
    frozen: bool
    real_time: bool  # following the system's clock (nobody has set it)


class ControllableClock:
    """A ``Clock`` (domain/clock.py) that tests control. ``real`` is the time it follows when not
    set; ``elapsed_ns`` measures how far a running set clock has moved on (monotonic, so that a
    change of the system's clock does not move it)."""

    def __init__(
        self, real: Clock | None = None, elapsed_ns: Callable[[], int] = time.monotonic_ns
    ) -> None:
        self._real = real or SystemClock()
        self._elapsed_ns = elapsed_ns
        self._anchor_ms: int | None = None  # the instant set; None while following real time
        self._anchored_at_ns = 0
        self._frozen = False

    def now_ms(self) -> int:
        if self._anchor_ms is None:
            return self._real.now_ms()
        if self._frozen:
            return self._anchor_ms
        return self._anchor_ms + (self._elapsed_ns() - self._anchored_at_ns) // 1_000_000

    def reading(self) -> ClockReading:
        return ClockReading(self.now_ms(), self._frozen, self._anchor_ms is None)

    def set(self, now_ms: int | None, frozen: bool) -> ClockReading:
        """Set the clock to ``now_ms`` (None: where it is now), standing still if ``frozen``."""
        self._anchor(self.now_ms() if now_ms is None else now_ms, frozen)
        return self.reading()

    def advance(self, seconds: float) -> ClockReading:
        """Move the clock ``seconds`` forward; a clock following real time runs on from there."""
        if not seconds >= 0:  # also refuses NaN
            raise InvalidInput.field(
                "seconds", "seconds must be 0 or more; to go back, set the clock (PUT)."
            )
        moved = self.now_ms() + round(seconds * 1000)
        if moved > LAST_INSTANT_MS:
            raise InvalidInput.field(
                "seconds", f"The clock cannot go past {iso_ms(LAST_INSTANT_MS)}."
            )
        self._anchor(moved, self._frozen)
        return self.reading()

    def follow_real_time(self) -> ClockReading:
        self._anchor_ms = None
        self._frozen = False
        return self.reading()

    def _anchor(self, now_ms: int, frozen: bool) -> None:
        self._anchor_ms = now_ms
        self._anchored_at_ns = self._elapsed_ns()
        self._frozen = frozen
