"""The repository's concerns of issue 16 (double opt-in, access requests), one Protocol each, as in
store/interface.py, which composes them into ``Repository``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from commprefs.domain.confirmations import Confirmation, DueMail


class Confirmations(Protocol):
    """Double opt-in (issue 16): confirmations and the outbox of their mails."""

    async def create_confirmation(self, values: dict[str, Any]) -> int:
        """A new confirmation from its columns; its id."""

    async def add_confirmation_mail(self, confirmation_id: int, now: int) -> None:
        """Queue a mail, due now."""

    async def extend_confirmation(self, confirmation_id: int, expires_at: int) -> None: ...

    async def confirmations_of(
        self, portal_id: int, subscriber: str, pending_at: int | None = None
    ) -> list[Confirmation]:
        """Oldest first, with their mails; only those pending at ``pending_at`` if given."""

    async def confirmation_by_public_id(self, public_id: str) -> Confirmation | None: ...

    async def mark_confirmed(self, confirmation_id: int, now: int) -> bool:
        """False when it was confirmed already; its unsent mails are dropped."""

    async def due_mails(self, now: int, limit: int) -> list[int]: ...

    async def claim_mail(
        self, mail_id: int, owner: str, now: int, lease_until: int
    ) -> DueMail | None: ...

    async def record_mail(self, mail_id: int, owner: str, values: dict[str, Any]) -> None:
        """Record an attempt of a mail ``owner`` holds and release its lease."""

    async def release_mails(self, owner: str) -> None: ...


class AccessRequests(Protocol):
    """What an access request (issue 16) reads beyond statuses and history."""

    async def idempotency_records_holding(
        self, portal_id: int, needles: tuple[bytes, ...]
    ) -> list[dict[str, Any]]:
        """Remembered replies whose key or body holds any of ``needles``."""

    async def import_rejects_holding(
        self, portal_id: int, spellings: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Rejected rows of the portal's import jobs that hold any spelling (job_id, n, row)."""
