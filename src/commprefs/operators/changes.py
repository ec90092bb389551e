"""What an operator reads and changes in the console, on the services the CLI and the API use.

Every change first checks the user's role (viewers only read) and stays within the user's own
portal. A status change is recorded in the ledger with ``api`` "console", the user, by id and
address, as the actor in its source, followed by the reason the operator gave, and in its consent
context (``via`` console, the user, the request's IP and user agent). The console's other changes
(types, brands, tokens, imports) are the admin API's services' (admin/).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commprefs.centre.models import Brand
from commprefs.centre.service import brand_of
from commprefs.domain.clock import Clock, InstantError, parse_instant
from commprefs.domain.errors import InvalidInput
from commprefs.domain.languages import best_translations, normalise_language
from commprefs.domain.ledger import HistoryEntry, StateAsOf
from commprefs.domain.operators import ConsoleUser
from commprefs.domain.preferences import (
    Actor,
    Channel,
    State,
    Status,
    StatusChange,
    WideStatus,
)
from commprefs.ledger.service import LedgerService
from commprefs.operators.service import require_admin
from commprefs.portals.checks import require_portal
from commprefs.preferences.service import PreferencesService
from commprefs.store.interface import Repository, Transactions

API = "console"
MAX_REASON = 120
MAX_PREFIX_RESULTS = 50


def console_actor(
    user: ConsoleUser, request_id: str, origin: Mapping[str, Any] | None = None
) -> Actor:
    """The console user as the actor of a change; ``origin`` (the request's IP and user agent,
    domain/consent.py) with the user in the consent context of the entries it writes."""
    context = {"via": "console", "userId": user.id, "user": user.email, **(origin or {})}
    return Actor(user.portal_id, token_id=None, request_id=request_id, api=API, context=context)


def change_source(user: ConsoleUser, reason: str) -> str:
    """The ledger's source of a console change: who made it, and why."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput.field("reason", "Say why the status is changed.", "MISSING_FIELD")
    if len(reason) > MAX_REASON:
        raise InvalidInput.field("reason", f"A reason is at most {MAX_REASON} characters.")
    return f"{user.actor_name}: {reason}"


@dataclass(frozen=True)
class SubscriberView:
    """One subscriber as the console shows it: statuses now, opt-outs of all email, the
    ledger's timeline (newest first) and, when asked, the state at an earlier moment."""

    subscriber: str
    statuses: list[Status]
    opt_outs: list[WideStatus]
    timeline: list[HistoryEntry]
    as_of: StateAsOf | None


@dataclass(frozen=True)
class PreviewBrand:
    """One brand's part of the preference page as a subscriber sees it: its branding and the
    types it offers (active, not internal), each as (id, shown name, shown description)."""

    unit_id: int
    brand: Brand
    types: list[tuple[int, str, str]]


class ConsoleActions:
    def __init__(
        self,
        database: Transactions[Repository],
        clock: Clock,
        preferences: PreferencesService,
        ledger: LedgerService,
    ) -> None:
        self.database = database
        self.clock = clock
        self.preferences = preferences
        self.ledger = ledger

    async def subscriber(
        self, user: ConsoleUser, request_id: str, address: str, as_of: str | None
    ) -> SubscriberView:
        actor = console_actor(user, request_id)
        at = None
        if as_of and as_of.strip():
            try:
                at = parse_instant(as_of)
            except InstantError as error:
                raise InvalidInput.field("asOf", str(error)) from None
        now = await self.preferences.get_statuses(actor, address, Channel.EMAIL, None)
        opt_outs = await self.preferences.get_unsubscribe_all(actor, address, Channel.EMAIL, None)
        history = await self.ledger.history(user.portal_id, address)
        then = None if at is None else await self.ledger.state_as_of(user.portal_id, address, at)
        return SubscriberView(
            history.subscriber, now.statuses, opt_outs, history.entries[::-1], then
        )

    async def search(self, user: ConsoleUser, prefix: str) -> list[str]:
        """Known addresses of the user's portal that start with ``prefix`` (lower-cased)."""
        prefix = prefix.strip().lower()
        if not prefix:
            return []
        async with self.database.read() as repo:
            return await repo.subscribers_with_prefix(
                user.portal_id, prefix[:320], MAX_PREFIX_RESULTS
            )

    async def change_status(
        self,
        user: ConsoleUser,
        request_id: str,
        subscriber: str,
        subscription_id: int,
        state: str,
        reason: str,
        legal_basis: str | None = None,
        explanation: str | None = None,
        origin: Mapping[str, Any] | None = None,
    ) -> list[Status]:
        require_admin(user)
        try:
            wanted = State(state)
        except ValueError:
            raise InvalidInput.field(
                "state", "Choose SUBSCRIBED, UNSUBSCRIBED or NOT_SPECIFIED."
            ) from None
        change = StatusChange(
            subscriber=subscriber,
            subscription_id=subscription_id,
            state=wanted,
            legal_basis=legal_basis or None,
            legal_basis_explanation=explanation or None,
        )
        outcome = await self.preferences.update_status(
            console_actor(user, request_id, origin), change, source=change_source(user, reason)
        )
        return outcome.statuses

    async def preview(self, user: ConsoleUser, language: str | None) -> list[PreviewBrand]:
        """What the preference page of each brand offers, in ``language`` where translated:
        the pages' own rules (centre/service.py brand_of, domain/languages.py)."""
        code = normalise_language(language)
        async with self.database.read() as repo:
            portal = await require_portal(repo, user.portal_id)
            units = await repo.business_units(user.portal_id)
            brandings = [await repo.branding(user.portal_id, unit.id) for unit in units]
            offered = [
                d
                for d in await repo.definitions(user.portal_id, active_only=True)
                if not d.is_internal
            ]
            names = best_translations(await repo.translations([d.id for d in offered]), code)
        shown = []
        for branding in brandings:
            if branding is None:
                continue
            types = [
                (
                    d.id,
                    names[d.id].name if d.id in names else d.name,
                    names[d.id].description if d.id in names else d.description,
                )
                for d in offered
                if d.business_unit_id == branding.business_unit_id
            ]
            shown.append(PreviewBrand(branding.business_unit_id, brand_of(portal, branding), types))
        return shown
