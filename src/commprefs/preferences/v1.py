"""The rules of Email Subscriptions v1 (``/email/public/v1/subscriptions``) over the preferences
service's own writes and reads: v1 is another wire format, not another set of rules.

What v1 adds: a PUT's changes are all applied or none; v1 cannot resubscribe someone who opted out
of a type or of all (as v3 cannot); its subscribe-to-all (``{"subscribed": true}``) subscribes
every active type the subscriber has not opted out of, and is refused after an opt-out of all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from commprefs.domain.outcomes import BatchOutcome, Outcome, V1Reading
from commprefs.domain.plans import keeps_opt_out, subscribe_all_refusal, v1_refusal
from commprefs.domain.preferences import (
    SOURCE_PUBLIC_API,
    Actor,
    Channel,
    State,
    StatusChange,
    WideType,
)
from commprefs.domain.rules import effective_status
from commprefs.domain.subscribers import subscriber_key

if TYPE_CHECKING:
    from commprefs.preferences.service import PreferencesService


class V1Rules:
    def __init__(self, service: PreferencesService) -> None:
        self.service = service

    async def read(self, actor: Actor, subscriber: str) -> V1Reading:
        """Every active type the subscriber reads SUBSCRIBED or UNSUBSCRIBED, in one read."""
        key = subscriber_key(subscriber)
        async with self.service.database.read() as repo:
            definitions = await repo.definitions(actor.portal_id, None, active_only=True)
            stored = (await repo.stored_statuses(actor.portal_id, [key], Channel.EMAIL))[key]
            wides = (await repo.wide_statuses(actor.portal_id, [key], Channel.EMAIL))[key]
        statuses = [
            effective_status(key, Channel.EMAIL, d, stored.get(d.id), wides) for d in definitions
        ]
        return V1Reading(
            key,
            [s for s in statuses if s.status is not State.NOT_SPECIFIED],
            any(
                w.wide_type is WideType.PORTAL_WIDE and w.status is State.UNSUBSCRIBED
                for w in wides
            ),
        )

    async def update(
        self, actor: Actor, changes: Sequence[StatusChange], source: str = SOURCE_PUBLIC_API
    ) -> BatchOutcome:
        """A v1 PUT's ``subscriptionStatuses``: all applied, or (the first invalid one raises)
        none; a resubscribe, or a reset of an opt-out, is refused (plans.v1_refusal).
        Unsubscribing again changes nothing (a PUT may be repeated)."""
        return await self.service.update_statuses(
            actor, changes, source, guard=v1_refusal, all_or_nothing=True
        )

    async def unsubscribe_from_all(
        self, actor: Actor, subscriber: str, source: str = SOURCE_PUBLIC_API
    ) -> Outcome:
        """``{"unsubscribeFromAll": true}``: the portal-wide opt-out of DESIGN.md."""
        return await self.service.unsubscribe_all(actor, subscriber, Channel.EMAIL, None, source)

    async def subscribe_to_all(
        self,
        actor: Actor,
        subscriber: str,
        legal_basis: str | None,
        explanation: str | None,
        source: str = SOURCE_PUBLIC_API,
    ) -> BatchOutcome:
        """``{"subscribed": true}``: every active type of the portal SUBSCRIBED with the
        portal-level legal basis (required in a GDPR portal), except types the subscriber opted
        out of, alone or by their brand (no undo); refused after an opt-out of all."""
        key = subscriber_key(subscriber)
        async with self.service.database.read() as repo:
            definitions = await repo.definitions(actor.portal_id, None, active_only=True)
        changes = [
            StatusChange(key, d.id, State.SUBSCRIBED, Channel.EMAIL, legal_basis, explanation)
            for d in definitions
        ]
        return await self.service.update_statuses(
            actor,
            changes,
            source,
            guard=subscribe_all_refusal,
            all_or_nothing=True,
            skip=keeps_opt_out,
        )
