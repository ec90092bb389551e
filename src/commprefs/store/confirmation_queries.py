"""SQL of double opt-in (issue 16): confirmations, and their mails as an outbox that the mail
worker claims with leases (as webhooks are claimed), so that several workers never send one
mail at once and a killed worker's mail is sent by the next. Part of SqlRepository.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import and_, insert, or_, select, update

from commprefs.domain.confirmations import Confirmation, DueMail, Mail
from commprefs.domain.consent import canonical, parsed
from commprefs.store.models import confirmation_mails, confirmations
from commprefs.store.queries import Queries


def _mail(row: Any) -> Mail:
    return Mail(
        id=row.id,
        requested_at=row.requested_at,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
        message_id=row.message_id,
    )


def _confirmation(row: Any, mails: Sequence[Mail] = ()) -> Confirmation:
    return Confirmation(
        id=row.id,
        public_id=row.public_id,
        portal_id=row.portal_id,
        subscriber=row.subscriber,
        business_unit_id=row.business_unit_id,
        subscription_ids=tuple(orjson.loads(row.subscription_ids)),
        language=row.language,
        legal_basis_explanation=row.legal_basis_explanation,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        request_context=parsed(row.request_context),
        confirmed_at=row.confirmed_at,
        mails=tuple(mails),
    )


def _lease_free(now: int) -> Any:
    return or_(confirmation_mails.c.lease_until.is_(None), confirmation_mails.c.lease_until < now)


class ConfirmationQueries(Queries):
    """store/interface.py's Confirmations."""

    async def create_confirmation(self, values: dict[str, Any]) -> int:
        row = {
            **values,
            "subscription_ids": orjson.dumps(list(values["subscription_ids"])).decode(),
            "request_context": canonical(values.get("request_context")),
        }
        result = await self.conn.execute(
            insert(confirmations).values(**row).returning(confirmations.c.id)
        )
        return int(result.scalar_one())

    async def add_confirmation_mail(self, confirmation_id: int, now: int) -> None:
        await self.conn.execute(
            insert(confirmation_mails).values(
                confirmation_id=confirmation_id, requested_at=now, attempts=0, next_attempt_at=now
            )
        )

    async def extend_confirmation(self, confirmation_id: int, expires_at: int) -> None:
        await self.conn.execute(
            update(confirmations)
            .where(confirmations.c.id == confirmation_id)
            .values(expires_at=expires_at)
        )

    async def confirmations_of(
        self, portal_id: int, subscriber: str, pending_at: int | None = None
    ) -> list[Confirmation]:
        """A subscriber's confirmations with their mails, oldest first; only those still
        pending at ``pending_at`` when given."""
        query = select(confirmations).where(
            confirmations.c.portal_id == portal_id, confirmations.c.subscriber == subscriber
        )
        if pending_at is not None:
            query = query.where(
                confirmations.c.confirmed_at.is_(None), confirmations.c.expires_at > pending_at
            )
        rows = list(await self.conn.execute(query.order_by(confirmations.c.id)))
        return await self._with_mails(rows)

    async def confirmation_by_public_id(self, public_id: str) -> Confirmation | None:
        rows = list(
            await self.conn.execute(
                select(confirmations).where(confirmations.c.public_id == public_id)
            )
        )
        found = await self._with_mails(rows)
        return found[0] if found else None

    async def _with_mails(self, rows: list[Any]) -> list[Confirmation]:
        if not rows:
            return []
        mails = await self.conn.execute(
            select(confirmation_mails)
            .where(confirmation_mails.c.confirmation_id.in_([row.id for row in rows]))
            .order_by(confirmation_mails.c.id)
        )
        by_confirmation: dict[int, list[Mail]] = {}
        for mail in mails:
            by_confirmation.setdefault(mail.confirmation_id, []).append(_mail(mail))
        return [_confirmation(row, by_confirmation.get(row.id, [])) for row in rows]

    async def mark_confirmed(self, confirmation_id: int, now: int) -> bool:
        """Confirm once: False when it was confirmed already (by a concurrent POST)."""
        result = await self.conn.execute(
            update(confirmations)
            .where(confirmations.c.id == confirmation_id, confirmations.c.confirmed_at.is_(None))
            .values(confirmed_at=now)
        )
        if result.rowcount != 1:
            return False
        # Its mails still queued need not go out any more.
        await self.conn.execute(
            update(confirmation_mails)
            .where(
                confirmation_mails.c.confirmation_id == confirmation_id,
                confirmation_mails.c.sent_at.is_(None),
            )
            .values(next_attempt_at=None, last_error="confirmed before it was sent")
        )
        return True

    # -- the mail worker -------------------------------------------------------------------------

    async def due_mails(self, now: int, limit: int) -> list[int]:
        rows = await self.conn.execute(
            select(confirmation_mails.c.id)
            .where(confirmation_mails.c.next_attempt_at <= now, _lease_free(now))
            .order_by(confirmation_mails.c.next_attempt_at)
            .limit(limit)
        )
        return [int(mail_id) for (mail_id,) in rows]

    async def claim_mail(
        self, mail_id: int, owner: str, now: int, lease_until: int
    ) -> DueMail | None:
        """Take a due mail's lease if nobody holds it; the mail and its confirmation."""
        result = await self.conn.execute(
            update(confirmation_mails)
            .where(
                confirmation_mails.c.id == mail_id,
                confirmation_mails.c.next_attempt_at.is_not(None),
                _lease_free(now),
            )
            .values(lease_owner=owner, lease_until=lease_until)
            .returning(confirmation_mails)
        )
        row = result.first()
        if row is None:
            return None
        found = await self.conn.execute(
            select(confirmations).where(confirmations.c.id == row.confirmation_id)
        )
        mail = _mail(row)
        return DueMail(mail, _confirmation(found.one(), [mail]))

    async def record_mail(self, mail_id: int, owner: str, values: dict[str, Any]) -> None:
        """Record an attempt (and release the lease) of a mail ``owner`` holds."""
        await self.conn.execute(
            update(confirmation_mails)
            .where(
                and_(confirmation_mails.c.id == mail_id, confirmation_mails.c.lease_owner == owner)
            )
            .values(**values, lease_owner=None, lease_until=None)
        )

    async def release_mails(self, owner: str) -> None:
        await self.conn.execute(
            update(confirmation_mails)
            .where(confirmation_mails.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )
