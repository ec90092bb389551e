"""SQL of the console's overview and subscriber search (store/interface.py's Dashboard).

Each figure is one grouped query on an index of migration 0009 (or a primary key), so that it
reads the index rather than the table where it can; bench/console_dashboard.py times them at 1M
subscribers on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, union

from commprefs.domain.preferences import Channel, State, WideType
from commprefs.store.models import (
    ledger,
    ledger_verifications,
    subscription_definitions,
    subscription_statuses,
    wide_statuses,
)
from commprefs.store.queries import Queries

DAY_MS = 86_400_000
# Above every character an address can hold: the upper bound of a prefix range.
_TOP = "\U0010ffff"


def _tuples(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in result]


class DashboardQueries(Queries):
    """store/interface.py's Dashboard."""

    async def count_addresses(self, portal_id: int, channel: Channel) -> int:
        """Addresses with any recorded choice or opt-out."""
        known = union(
            select(subscription_statuses.c.subscriber).where(
                subscription_statuses.c.portal_id == portal_id,
                subscription_statuses.c.channel == channel.value,
            ),
            select(wide_statuses.c.subscriber).where(
                wide_statuses.c.portal_id == portal_id, wide_statuses.c.channel == channel.value
            ),
        ).subquery()
        found = await self.conn.execute(select(func.count()).select_from(known))
        return int(found.scalar_one())

    async def stored_counts(self, portal_id: int, channel: Channel) -> dict[tuple[int, str], int]:
        """Stored choices per (type, state)."""
        s = subscription_statuses.c
        rows = await self.conn.execute(
            select(s.subscription_id, s.status, func.count())
            .where(s.portal_id == portal_id, s.channel == channel.value)
            .group_by(s.subscription_id, s.status)
        )
        return {(int(t), str(state)): int(n) for t, state, n in _tuples(rows)}

    async def covered_counts(
        self, portal_id: int, channel: Channel
    ) -> dict[tuple[int, str | None], int]:
        """Per (type, stored state or None): the addresses an active opt-out of all email covers
        for that type (portal-wide, or the type's own brand); a read shows them UNSUBSCRIBED."""
        d, w, s = subscription_definitions.c, wide_statuses.c, subscription_statuses.c
        covered = (
            select(d.id.label("subscription_id"), w.subscriber)
            .distinct()
            .select_from(subscription_definitions)
            .join(
                wide_statuses,
                and_(
                    w.portal_id == d.portal_id,
                    w.channel == channel.value,
                    w.status == State.UNSUBSCRIBED.value,
                    or_(
                        w.wide_type == WideType.PORTAL_WIDE.value,
                        and_(
                            w.wide_type == WideType.BUSINESS_UNIT_WIDE.value,
                            w.business_unit_id == d.business_unit_id,
                        ),
                    ),
                ),
            )
            .where(d.portal_id == portal_id)
            .subquery()
        )
        rows = await self.conn.execute(
            select(covered.c.subscription_id, s.status, func.count())
            .select_from(covered)
            .outerjoin(
                subscription_statuses,
                and_(
                    s.portal_id == portal_id,
                    s.subscriber == covered.c.subscriber,
                    s.channel == channel.value,
                    s.subscription_id == covered.c.subscription_id,
                ),
            )
            .group_by(covered.c.subscription_id, s.status)
        )
        return {(int(t), state): int(n) for t, state, n in _tuples(rows)}

    async def changes_since(
        self, portal_id: int, since: int
    ) -> list[tuple[int, str, str, Any, int]]:
        """Changes of one type's status recorded since ``since``, counted per (day number, new
        state, source, legal basis): one pass over the ledger's (portal, time) index."""
        day = ledger.c.created_at // DAY_MS  # integer division on both dialects
        rows = await self.conn.execute(
            select(day, ledger.c.new_status, ledger.c.source, ledger.c.legal_basis, func.count())
            .where(
                ledger.c.portal_id == portal_id,
                ledger.c.created_at >= since,
                ledger.c.subscription_id.is_not(None),
            )
            .group_by(day, ledger.c.new_status, ledger.c.source, ledger.c.legal_basis)
        )
        return [
            (int(n), str(state), str(src), basis, int(c))
            for n, state, src, basis, c in _tuples(rows)
        ]

    async def opt_outs_by_scope(self, portal_id: int, channel: Channel) -> dict[int, int]:
        """Active opt-outs of all email per business unit (0: portal-wide)."""
        w = wide_statuses.c
        rows = await self.conn.execute(
            select(w.wide_type, w.business_unit_id, func.count())
            .where(
                w.portal_id == portal_id,
                w.status == State.UNSUBSCRIBED.value,
                w.channel == channel.value,
            )
            .group_by(w.wide_type, w.business_unit_id)
        )
        found: dict[int, int] = {}
        for wide_type, unit, n in _tuples(rows):
            key = 0 if wide_type == WideType.PORTAL_WIDE.value else int(unit)
            found[key] = found.get(key, 0) + int(n)
        return found

    async def entry_time(self, portal_id: int, seq: int) -> int | None:
        """When the portal's entry ``seq`` was recorded (None if there is none)."""
        found = await self.conn.execute(
            select(ledger.c.created_at).where(ledger.c.portal_id == portal_id, ledger.c.seq == seq)
        )
        value = found.scalar_one_or_none()
        return None if value is None else int(value)

    async def last_verification(self, portal_id: int) -> tuple[int, int, str, bool] | None:
        v = ledger_verifications.c
        row = (
            await self.conn.execute(
                select(v.verified_at, v.head_seq, v.head_hash, v.intact).where(
                    v.portal_id == portal_id
                )
            )
        ).first()
        if row is None:
            return None
        verified_at, head_seq, head_hash, intact = tuple(row)
        return int(verified_at), int(head_seq), str(head_hash), bool(intact)

    async def record_verification(
        self, portal_id: int, now: int, head_seq: int, head_hash: str, intact: bool
    ) -> None:
        values = {
            "verified_at": now,
            "head_seq": head_seq,
            "head_hash": head_hash,
            "intact": intact,
        }
        statement = self._upsert(ledger_verifications).values(portal_id=portal_id, **values)
        await self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[ledger_verifications.c.portal_id], set_=values
            )
        )

    async def subscribers_with_prefix(self, portal_id: int, prefix: str, limit: int) -> list[str]:
        """Known addresses that start with ``prefix``, in order: a range on the primary keys."""
        found: set[str] = set()
        for table in (subscription_statuses, wide_statuses):
            rows = await self.conn.execute(
                select(table.c.subscriber)
                .distinct()
                .where(
                    table.c.portal_id == portal_id,
                    table.c.subscriber >= prefix,
                    table.c.subscriber < prefix + _TOP,
                )
                .order_by(table.c.subscriber)
                .limit(limit)
            )
            found.update(str(s) for (s,) in rows if str(s).startswith(prefix))
        return sorted(found)[:limit]
