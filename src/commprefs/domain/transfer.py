"""Rows on their way in, what became of them, and what an import did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commprefs.domain.preferences import StatusChange


@dataclass(frozen=True)
class RawRecord:
    """One record as read: its fields (by the file's own names), or why it could not be read."""

    line: int
    fields: dict[str, Any] | None
    error: str | None = None
    text: str | None = None  # an unreadable line, as it was


@dataclass(frozen=True)
class TypeRow:
    """A subscription type's status for a subscriber."""

    record: RawRecord
    change: StatusChange


@dataclass(frozen=True)
class OptOutRow:
    """An opt-out of all email: portal-wide (``business_unit_id`` None) or of one brand."""

    record: RawRecord
    subscriber: str
    business_unit_id: int | None
    source: str
    occurred_at: int | None


@dataclass(frozen=True)
class Rejection:
    record: RawRecord
    field: str | None
    message: str


@dataclass
class ImportReport:
    request_id: str
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0
