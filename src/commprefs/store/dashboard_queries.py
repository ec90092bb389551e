"""SQL of the console's overview and subscriber search (store/interface.py's Dashboard).

Each figure is one grouped query along a primary key, the chain's (portal, seq) key or the
wide statuses' index of migration 0009: indexes the hot path's writes would pay for are left
out (statuses per type, the ledger by time: measured, they cost an opt-out of all 15-25 % more
CPU); bench/console_dashboard.py times them at 1M
subscribers on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, distinct, func, or_, select

from commprefs.domain.preferences import Channel, State, WideType
from commprefs.store.models import (
    console_day_counts,
    console_rollups,
    ledger,
    ledger_verifications,
    subscription_definitions,
    subscription_statuses,
    wide_statuses,
)
from commprefs.store.queries import Queries

DAY_MS = 86_400_000
# How far out of time order a portal's chain may be: entries of writers that overlapped.
SEQ_SLACK = 1000
# Above every character an address can hold: the upper bound of a prefix range.
_TOP = "\U0010ffff"


def _tuples(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in result]


class DashboardQueries(Queries):
    """store/interface.py's Dashboard."""

    async def count_addresses(self, portal_id: int, channel: Channel) -> int:
        """Addresses with any recorded choice or opt-out: the distinct subscribers of the status
        rows, plus those with only an opt-out of all."""
        s, w = subscription_statuses.c, wide_statuses.c
        mine = (s.portal_id == portal_id, s.channel == channel.value)
        if self.dialect == "postgresql":
            # Groups along the primary key (an index-only scan) rather than count(DISTINCT),
            # which PostgreSQL answers with a sort of every row.
            grouped = select(s.subscriber).where(*mine).group_by(s.subscriber).subquery()
            chosen = select(func.count()).select_from(grouped)
        else:
            # SQLite's count(DISTINCT) reads the key in order: half a DISTINCT subquery's time.
            chosen = select(func.count(distinct(s.subscriber))).where(*mine)
        only_wide = (
            select(w.subscriber)
            .distinct()
            .where(
                w.portal_id == portal_id,
                w.channel == channel.value,
                ~select(s.subscriber)
                .where(
                    s.portal_id == portal_id,
                    s.subscriber == w.subscriber,
                    s.channel == channel.value,
                )
                .exists(),
            )
            .subquery()
        )
        found = await self.conn.execute(
            select(
                chosen.scalar_subquery(),
                select(func.count()).select_from(only_wide).scalar_subquery(),
            )
        )
        first, second = tuple(found.one())
        return int(first) + int(second)

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
        """Per (type, stored state or None for none): the addresses an active opt-out of all
        email covers for that type (portal-wide, or the type's own brand); a read shows them
        UNSUBSCRIBED. One pass from the opt-outs to their own status rows (primary-key ranges),
        and per brand the number covered: those without a row are the difference."""
        d, w, s = subscription_definitions.c, wide_statuses.c, subscription_statuses.c
        opted_out = (w.portal_id == portal_id, w.channel == channel.value)
        active = w.status == State.UNSUBSCRIBED.value
        covers = or_(
            w.wide_type == WideType.PORTAL_WIDE.value,
            and_(
                w.wide_type == WideType.BUSINESS_UNIT_WIDE.value,
                w.business_unit_id == d.business_unit_id,
            ),
        )
        rows = await self.conn.execute(
            select(s.subscription_id, s.status, func.count(distinct(s.subscriber)))
            .select_from(wide_statuses)
            .join(
                subscription_statuses,
                and_(
                    s.portal_id == w.portal_id,
                    s.subscriber == w.subscriber,
                    s.channel == w.channel,
                ),
            )
            .join(subscription_definitions, d.id == s.subscription_id)
            .where(*opted_out, active, covers)
            .group_by(s.subscription_id, s.status)
        )
        found: dict[tuple[int, str | None], int] = {
            (int(t), str(state)): int(n) for t, state, n in _tuples(rows)
        }
        units = select(d.business_unit_id).distinct().where(d.portal_id == portal_id).subquery()
        in_unit = or_(
            w.wide_type == WideType.PORTAL_WIDE.value,
            and_(
                w.wide_type == WideType.BUSINESS_UNIT_WIDE.value,
                w.business_unit_id == units.c.business_unit_id,
            ),
        )
        per_unit = await self.conn.execute(
            select(units.c.business_unit_id, func.count(distinct(w.subscriber)))
            .select_from(units)
            .join(wide_statuses, and_(*opted_out, active, in_unit))
            .group_by(units.c.business_unit_id)
        )
        covered_in = {int(unit): int(n) for unit, n in _tuples(per_unit)}
        types = await self.conn.execute(
            select(d.id, d.business_unit_id).where(d.portal_id == portal_id)
        )
        for t, unit in _tuples(types):
            with_row = sum(n for (kind, _), n in found.items() if kind == t)
            if covered_in.get(int(unit), 0) - with_row:
                found[int(t), None] = covered_in.get(int(unit), 0) - with_row
        return found

    async def _first_seq_at(self, portal_id: int, since: int) -> int:
        """About the first seq of the portal's chain recorded at or after ``since``: a binary
        search along the (portal, seq) key, so that the ledger needs no index by time (one would
        cost every write). Seq order is time order but for writers that overlap by a few
        milliseconds; callers scan from ``SEQ_SLACK`` entries earlier and filter by time."""
        head = await self.conn.execute(
            select(func.max(ledger.c.seq)).where(ledger.c.portal_id == portal_id)
        )
        low, high = 1, int(head.scalar_one() or 0) + 1
        while low < high:
            middle = (low + high) // 2
            at = await self.entry_time(portal_id, middle)
            if at is not None and at < since:
                low = middle + 1
            else:
                high = middle
        return max(1, low - SEQ_SLACK)

    async def changes_since(
        self, portal_id: int, since: int
    ) -> list[tuple[int, str, str, Any, int]]:
        """Changes of one type's status recorded since ``since``, counted per (day number, new
        state, source, legal basis): a range of the chain's (portal, seq) key."""
        day = (ledger.c.created_at // DAY_MS).label("day")  # integer division on both dialects
        first = await self._first_seq_at(portal_id, since)
        rows = await self.conn.execute(
            select(day, ledger.c.new_status, ledger.c.source, ledger.c.legal_basis, func.count())
            .where(
                ledger.c.portal_id == portal_id,
                ledger.c.seq >= first,
                ledger.c.created_at >= since,
                ledger.c.subscription_id.is_not(None),
            )
            .group_by(day, ledger.c.new_status, ledger.c.source, ledger.c.legal_basis)
        )
        return [
            (int(n), str(state), str(src), basis, int(c))
            for n, state, src, basis, c in _tuples(rows)
        ]

    async def rolled_up_through(self, portal_id: int) -> int | None:
        found = await self.conn.execute(
            select(console_rollups.c.through_day).where(console_rollups.c.portal_id == portal_id)
        )
        value = found.scalar_one_or_none()
        return None if value is None else int(value)

    async def roll_up(self, portal_id: int, first_day: int, last_day: int) -> None:
        """Count the changes of days ``first_day`` to ``last_day`` (days that are over) into
        console_day_counts, once: a concurrent roll-up of the same days counts the same."""
        day = (ledger.c.created_at // DAY_MS).label("day")
        basis = func.coalesce(ledger.c.legal_basis, "").label("legal_basis")
        first = await self._first_seq_at(portal_id, first_day * DAY_MS)
        after = await self._first_seq_at(portal_id, (last_day + 1) * DAY_MS) + 2 * SEQ_SLACK
        counted = (
            select(
                ledger.c.portal_id, day, ledger.c.new_status, ledger.c.source, basis, func.count()
            )
            .where(
                ledger.c.portal_id == portal_id,
                ledger.c.seq >= first,
                ledger.c.seq < after,
                ledger.c.created_at >= first_day * DAY_MS,
                ledger.c.created_at < (last_day + 1) * DAY_MS,
                ledger.c.subscription_id.is_not(None),
            )
            .group_by(ledger.c.portal_id, day, ledger.c.new_status, ledger.c.source, basis)
        )
        c = console_day_counts.c
        await self.conn.execute(
            self._upsert(console_day_counts)
            .from_select(
                [c.portal_id, c.day, c.new_status, c.source, c.legal_basis, c.changes], counted
            )
            .on_conflict_do_nothing()
        )
        mark = self._upsert(console_rollups).values(portal_id=portal_id, through_day=last_day)
        await self.conn.execute(
            mark.on_conflict_do_update(
                index_elements=[console_rollups.c.portal_id], set_={"through_day": last_day}
            )
        )

    async def day_counts(
        self, portal_id: int, first_day: int, last_day: int
    ) -> list[tuple[int, str, str, Any, int]]:
        """The counted changes of days ``first_day`` to ``last_day``, as changes_since has them."""
        c = console_day_counts.c
        rows = await self.conn.execute(
            select(c.day, c.new_status, c.source, c.legal_basis, c.changes).where(
                c.portal_id == portal_id, c.day >= first_day, c.day <= last_day
            )
        )
        return [
            (int(n), str(state), str(src), basis or None, int(count))
            for n, state, src, basis, count in _tuples(rows)
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
