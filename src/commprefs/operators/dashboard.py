"""The console's overview: counts per subscription type as the API would read them, changes per
day, by source and by legal basis, opt-outs of all email per brand, the ledger chain's state and
the webhooks' backlog. Each figure is one indexed query of the store (store/dashboard_queries.py);
this module combines them, and records a verification of the chain when an admin asks for one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from commprefs.domain.clock import Clock
from commprefs.domain.ledger import ChainReport
from commprefs.domain.operators import (
    ChainState,
    ConsoleUser,
    DayCounts,
    Overview,
    TypeCounts,
    WebhookLag,
)
from commprefs.domain.preferences import Channel, Definition, State
from commprefs.ledger.service import LedgerService
from commprefs.operators.service import require_admin
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Repository, Transactions

DAY_MS = 86_400_000
DAYS = 90
NO_BASIS = "(none)"
RECENT_ACTIONS = 20


def day_name(number: int) -> str:
    return datetime.fromtimestamp(number * 86_400, UTC).strftime("%Y-%m-%d")


def type_counts(
    definition: Definition,
    addresses: int,
    stored: dict[tuple[int, str], int],
    covered: dict[tuple[int, str | None], int],
) -> TypeCounts:
    """One type's figures: a covering opt-out of all email reads UNSUBSCRIBED whatever the
    type's own choice is (domain/rules.py), so covered addresses move to ``unsubscribed``."""
    t = definition.id
    covered_subscribed = covered.get((t, State.SUBSCRIBED.value), 0)
    covered_unchosen = covered.get((t, State.NOT_SPECIFIED.value), 0) + covered.get((t, None), 0)
    subscribed = stored.get((t, State.SUBSCRIBED.value), 0) - covered_subscribed
    unsubscribed = (
        stored.get((t, State.UNSUBSCRIBED.value), 0) + covered_subscribed + covered_unchosen
    )
    return TypeCounts(
        subscription_id=t,
        name=definition.name,
        business_unit_id=definition.business_unit_id,
        active=definition.is_active,
        subscribed=subscribed,
        unsubscribed=unsubscribed,
        never_chosen=addresses - subscribed - unsubscribed,
    )


class DashboardService:
    def __init__(self, database: Transactions[Repository], clock: Clock, ledger: LedgerService):
        self.database = database
        self.clock = clock
        self.ledger = ledger

    async def overview(self, portal_id: int) -> Overview:
        channel = Channel.EMAIL
        today = self.clock.now_ms() // DAY_MS
        first_day = today - DAYS + 1
        await self._roll_up(portal_id, first_day, today - 1)
        async with self.database.snapshot() as repo:
            await require_portal(repo, portal_id)
            definitions = await repo.definitions(portal_id)
            units = {u.id: u.name for u in await repo.business_units(portal_id)}
            addresses = await repo.count_addresses(portal_id, channel)
            stored = await repo.stored_counts(portal_id, channel)
            covered = await repo.covered_counts(portal_id, channel)
            # Past days from their counts, today from the ledger itself.
            changes = await repo.day_counts(portal_id, first_day, today - 1)
            changes += await repo.changes_since(portal_id, today * DAY_MS)
            opt_outs = await repo.opt_outs_by_scope(portal_id, channel)
            head_seq, head_hash = await repo.chain_head(portal_id)
            verified = await repo.last_verification(portal_id)
            actions = await repo.recent_changes(portal_id, RECENT_ACTIONS)
            webhooks = [
                WebhookLag(
                    webhook.id,
                    webhook.url,
                    pending,
                    _lag(
                        self.clock.now_ms(),
                        await repo.entry_time(portal_id, webhook.delivered_seq + 1),
                    )
                    if pending
                    else None,
                    webhook.last_error,
                    webhook.attempts,
                    webhook.last_attempt_at,
                )
                for webhook, pending in await repo.list_webhooks(portal_id)
            ]
        ins = dict.fromkeys(range(first_day, today + 1), 0)
        outs = dict(ins)
        sources: dict[str, int] = {}
        bases: dict[str, int] = {}
        for day, state, source, basis, count in changes:
            if state == State.SUBSCRIBED.value and day in ins:
                ins[day] += count
            elif state == State.UNSUBSCRIBED.value and day in outs:
                outs[day] += count
            sources[source] = sources.get(source, 0) + count
            key = basis or NO_BASIS
            bases[key] = bases.get(key, 0) + count
        return Overview(
            addresses=addresses,
            types=[type_counts(d, addresses, stored, covered) for d in definitions],
            days=[DayCounts(day_name(n), ins[n], outs[n]) for n in sorted(ins)],
            by_source=sorted(sources.items(), key=lambda item: (-item[1], item[0])),
            by_legal_basis=sorted(bases.items(), key=lambda item: (-item[1], item[0])),
            opt_outs_by_brand=[
                (unit, "All email (portal-wide)" if unit == 0 else units.get(unit, f"#{unit}"), n)
                for unit, n in sorted(opt_outs.items())
            ],
            chain=ChainState(
                head_seq,
                head_hash,
                verified[0] if verified else None,
                verified[1] if verified else None,
                verified[3] if verified else None,
            ),
            webhooks=webhooks,
            actions=actions,
        )

    async def _roll_up(self, portal_id: int, first_day: int, yesterday: int) -> None:
        """Count the days that ended since the last overview (at most the 90 shown), once."""
        async with self.database.read() as repo:
            through = await repo.rolled_up_through(portal_id)
        if through is not None and through >= yesterday:
            return
        async with self.database.write() as repo:
            through = await repo.rolled_up_through(portal_id)
            if through is None or through < yesterday:
                start = first_day if through is None else max(first_day, through + 1)
                await repo.roll_up(portal_id, start, yesterday)

    async def verify_chain(self, user: ConsoleUser) -> ChainReport:
        """Recompute the user's portal's chain and record the result for the overview."""
        require_admin(user)
        [report] = await self.ledger.verify(user.portal_id)
        async with self.database.write() as repo:
            await repo.record_verification(
                user.portal_id,
                self.clock.now_ms(),
                report.head_seq,
                report.head_hash,
                report.intact,
            )
        return report


def _lag(now: int, oldest: int | None) -> int | None:
    return None if oldest is None else max(0, now - oldest)
