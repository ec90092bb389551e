"""SQL of bulk transfers: exports of statuses and suppression lists, streamed row by row (one
read transaction, so an export is one consistent snapshot however long it takes), and keeping
the planner informed while an import fills tables.

Part of SqlRepository (store/repository.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    cast,
    literal,
    literal_column,
    null,
    select,
    union_all,
)

from commprefs.domain.preferences import Channel, State, WideType
from commprefs.store.models import subscription_definitions, subscription_statuses, wide_statuses
from commprefs.store.queries import Queries


class TransferQueries(Queries):
    """store/interface.py's Exports."""

    async def _stream(self, query: Select[Any]) -> AsyncIterator[Any]:
        async for row in self.conn.stream(query):
            yield row

    def stored_choices(self, portal_id: int, channel: Channel) -> AsyncIterator[Any]:
        """Every subscriber's chosen status per type (not NOT_SPECIFIED), with the type's name
        and brand, by subscriber then type."""
        statuses, definitions = subscription_statuses, subscription_definitions
        return self._stream(
            select(
                statuses,
                definitions.c.name.label("subscription_name"),
                definitions.c.business_unit_id,
            )
            .join(definitions, definitions.c.id == statuses.c.subscription_id)
            .where(
                statuses.c.portal_id == portal_id,
                statuses.c.channel == channel.value,
                statuses.c.status != State.NOT_SPECIFIED.value,
            )
            .order_by(statuses.c.subscriber, statuses.c.subscription_id)
        )

    def active_opt_outs(self, portal_id: int, channel: Channel) -> AsyncIterator[Any]:
        """Every opt-out of all email in force: portal-wide ones first, then by brand."""
        return self._stream(
            select(wide_statuses)
            .where(
                wide_statuses.c.portal_id == portal_id,
                wide_statuses.c.channel == channel.value,
                wide_statuses.c.status == State.UNSUBSCRIBED.value,
            )
            .order_by(
                wide_statuses.c.wide_type.desc(),
                wide_statuses.c.business_unit_id,
                wide_statuses.c.subscriber,
            )
        )

    def suppressed(
        self,
        portal_id: int,
        channel: Channel,
        business_unit_id: int | None,
        subscription_id: int | None,
    ) -> AsyncIterator[Any]:
        """Who must not be sent email: opted out portal-wide; with a business unit, also of that
        brand; with a type, also of that type. By subscriber, the widest reason first (one
        subscriber may appear once per reason)."""
        wide = wide_statuses

        def opted_out(rank: int, *scope: Any) -> Select[Any]:
            return select(
                wide.c.subscriber,
                literal_column(str(rank)).label("rank"),
                wide.c.wide_type.label("reason"),
                wide.c.business_unit_id,
                cast(null(), BigInteger).label("subscription_id"),
                wide.c.updated_at,
                wide.c.source,
            ).where(
                wide.c.portal_id == portal_id,
                wide.c.channel == channel.value,
                wide.c.status == State.UNSUBSCRIBED.value,
                *scope,
            )

        # Which opt-outs cover a brand is domain/rules.py covers(), said again here so that the
        # database filters; tests/integration/test_coverage_rule.py checks that both agree.
        parts = [opted_out(1, wide.c.wide_type == WideType.PORTAL_WIDE.value)]
        if business_unit_id is not None:
            parts.append(
                opted_out(
                    2,
                    wide.c.wide_type == WideType.BUSINESS_UNIT_WIDE.value,
                    wide.c.business_unit_id == business_unit_id,
                )
            )
        if subscription_id is not None:
            statuses = subscription_statuses
            parts.append(
                select(
                    statuses.c.subscriber,
                    literal_column("3").label("rank"),
                    literal_column("'SUBSCRIPTION'").label("reason"),
                    cast(literal(business_unit_id), BigInteger).label("business_unit_id"),
                    statuses.c.subscription_id,
                    statuses.c.updated_at,
                    statuses.c.source,
                ).where(
                    statuses.c.portal_id == portal_id,
                    statuses.c.channel == channel.value,
                    statuses.c.subscription_id == subscription_id,
                    statuses.c.status == State.UNSUBSCRIBED.value,
                )
            )
        everything = union_all(*parts).subquery()
        return self._stream(select(everything).order_by(everything.c.subscriber, everything.c.rank))
