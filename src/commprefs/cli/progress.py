"""A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO, total_bytes: int | None, label: str = "import") -> None:
        self.stream = stream
        self.total = total_bytes or None
        self.label = label
        self.interactive = stream.isatty()
        self.started = time.perf_counter()
        self._last_draw = 0.0
        self._last_tenth = -1
        self._last_rows = -1

    def update(self, done_bytes: int, rows: int, final: bool = False) -> None:
        now = time.perf_counter()
        if self.interactive:
            if final or now - self._last_draw >= 0.1:
                self._last_draw = now
                self.stream.write("\r" + self._line(done_bytes, rows, now))
                if final:
                    self.stream.write("\n")
                self.stream.flush()
            return
        # Not a terminal (a log, CI): one line each time another tenth is done.
        step = int(self._fraction(done_bytes, final) * 10) if self.total else int(now // 5)
        if step > self._last_tenth or (final and rows != self._last_rows):
            self._last_tenth, self._last_rows = step, rows
            self.stream.write(self._line(done_bytes, rows, now) + "\n")
            self.stream.flush()

    def _fraction(self, done_bytes: int, final: bool) -> float:
        if final or not self.total:
            return 1.0
        return min(done_bytes / self.total, 1.0)

    def _line(self, done_bytes: int, rows: int, now: float) -> str:
        rate = rows / (now - self.started) if now > self.started else 0.0
        counts = f"{rows:,} rows  {rate:,.0f} rows/s"
        if not self.total:
            return f"{self.label}  {counts}"
        fraction = self._fraction(done_bytes, done_bytes >= self.total)
        filled = int(fraction * WIDTH)
        bar = "#" * filled + "." * (WIDTH - filled)
        return f"{self.label} [{bar}] {fraction:4.0%}  {counts}"
