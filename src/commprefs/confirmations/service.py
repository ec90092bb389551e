"""The confirmation service: double opt-in from the request to the confirmed subscription.

A request records a confirmation and queues its mail in one transaction (the mail table is the
outbox the worker sends from once that has committed); nothing about the subscriber's statuses
changes. The mail's signed link opens a page (GET: only shows) whose form (POST, CSRF) confirms:
then, in one transaction, the confirmation is used up and the types become SUBSCRIBED with legal
basis CONSENT_WITH_NOTICE through the preferences service, each ledger entry carrying the whole
proof (domain/confirmations.py ``proof``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from commprefs.centre.models import PageContext, SubmittedForm
from commprefs.centre.service import GONE, brand_of
from commprefs.config import Settings
from commprefs.confirmations.models import ConfirmationPage, ConfirmedPage
from commprefs.confirmations.outbox import MailOutbox, confirmation_url, type_names
from commprefs.domain.clock import Clock, iso_ms
from commprefs.domain.confirmations import (
    CONFIRMED_EXPLANATION,
    SOURCE_DOUBLE_OPT_IN,
    Confirmation,
    ConfirmationGone,
    needs_new_mail,
    proof,
)
from commprefs.domain.consent import link_identifier
from commprefs.domain.errors import CommprefsError, ErrorDetail, InvalidInput
from commprefs.domain.faults import active_definition, other_unit
from commprefs.domain.languages import normalise_language
from commprefs.domain.links import InvalidLink, LinkClaims, VerifiedLink
from commprefs.domain.preferences import Actor, LegalBasis, State, StatusChange
from commprefs.domain.subscribers import storable_text, subscriber_key
from commprefs.links.service import LinkService
from commprefs.portals.checks import require_business_unit
from commprefs.preferences.service import PreferencesService
from commprefs.store.interface import Repository, Transactions

API = "confirmation"


class _Joined:
    """One open write transaction offered as ``Transactions``: the preferences service's writes
    join the transaction that uses the confirmation up, so both commit or neither does."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    @asynccontextmanager
    async def _same(self) -> AsyncIterator[Repository]:
        yield self.repo

    def read(self) -> AbstractAsyncContextManager[Repository]:
        return self._same()

    write = snapshot = read


class ConfirmationService:
    def __init__(
        self,
        database: Transactions[Repository],
        clock: Clock,
        settings: Settings,
        links: LinkService,
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.links = links
        self.ttl_ms = settings.confirmation_ttl_hours * 3_600_000
        self.outbox = MailOutbox(database, clock, settings, links)  # the mail worker's side

    @property
    def mail_configured(self) -> bool:
        return bool(self.settings.smtp_url.get_secret_value() and self.settings.mail_from)

    # -- the request (API) -----------------------------------------------------------------------

    async def request(
        self,
        actor: Actor,
        subscriber: str,
        subscription_ids: Sequence[int],
        business_unit_id: int = 0,
        language: str | None = None,
        explanation: str | None = None,
    ) -> tuple[Confirmation, bool]:
        """A pending confirmation of these types, and whether a mail was queued for it: a repeat
        request of the same types within a minute of the last mail queues none. Without SMTP
        configured here, the mail waits in the outbox for a server that has it (the listing
        shows it unsent): delayed, never lost."""
        key = subscriber_key(subscriber)
        code = normalise_language(language)
        storable_text("legalBasisExplanation", explanation)
        ids = sorted(set(subscription_ids))
        async with self.database.write() as repo:
            await require_business_unit(repo, actor.portal_id, business_unit_id)
            await _check_types(repo, actor.portal_id, business_unit_id, ids)
            await repo.lock_subscribers(actor.portal_id, [key])
            now = self.clock.now_ms()
            same = [
                c
                for c in await repo.confirmations_of(actor.portal_id, key, pending_at=now)
                if c.business_unit_id == business_unit_id and list(c.subscription_ids) == ids
            ]
            if same:
                confirmation_id, public_id = same[-1].id, same[-1].public_id
                queued = needs_new_mail(same[-1], now)
                if queued:
                    await repo.extend_confirmation(confirmation_id, now + self.ttl_ms)
            else:
                public_id, queued = uuid.uuid4().hex, True
                confirmation_id = await repo.create_confirmation(
                    {
                        "public_id": public_id,
                        "portal_id": actor.portal_id,
                        "subscriber": key,
                        "business_unit_id": business_unit_id,
                        "subscription_ids": ids,
                        "language": code,
                        "legal_basis_explanation": explanation,
                        "requested_at": now,
                        "expires_at": now + self.ttl_ms,
                        "request_context": actor.context,
                    }
                )
            if queued:
                await repo.add_confirmation_mail(confirmation_id, now)
            found = await repo.confirmation_by_public_id(public_id)
        assert found is not None  # written just above, in this transaction
        return found, queued

    async def pending(self, portal_id: int, subscriber: str) -> list[Confirmation]:
        key = subscriber_key(subscriber)
        async with self.database.read() as repo:
            return await repo.confirmations_of(portal_id, key, pending_at=self.clock.now_ms())

    # -- the link (pages) ------------------------------------------------------------------------

    async def page(self, token: str, nonce: str) -> ConfirmationPage:
        """What the link would confirm (GET: changes nothing)."""
        confirmation, link = await self._verified(token)
        context, names = await self._shown(confirmation, link, nonce)
        return ConfirmationPage(context, names, iso_ms(confirmation.expires_at))

    async def confirm(
        self,
        token: str,
        form: SubmittedForm,
        request_id: str,
        origin: Mapping[str, Any] | None = None,
    ) -> ConfirmedPage:
        """Use the confirmation up and subscribe its types, in one transaction."""
        confirmation, link = await self._verified(token)
        self.links.check_csrf(link, form.csrf, form.cookie)
        context, names = await self._shown(confirmation, link, "")
        async with self.database.write() as repo:
            now = self.clock.now_ms()
            current = await repo.confirmation_by_public_id(confirmation.public_id)
            if current is None:
                raise InvalidLink(GONE)
            _check_pending(current, now)
            if not await repo.mark_confirmed(current.id, now):
                _check_pending(await repo.confirmation_by_public_id(current.public_id), now)
            evidence = {"linkId": link_identifier(token), **(origin or {})}
            actor = Actor(current.portal_id, None, request_id, API, proof(current, now, evidence))
            changes = [
                StatusChange(
                    current.subscriber,
                    subscription_id,
                    State.SUBSCRIBED,
                    legal_basis=LegalBasis.CONSENT_WITH_NOTICE.value,
                    legal_basis_explanation=current.legal_basis_explanation
                    or CONFIRMED_EXPLANATION,
                )
                for subscription_id in current.subscription_ids
            ]
            preferences = PreferencesService(_Joined(repo), self.clock, max(1, len(changes)))
            outcome = await preferences.update_statuses(actor, changes, SOURCE_DOUBLE_OPT_IN)
        failed = {changes[index].subscription_id for index, _ in outcome.errors}
        by_id = dict(zip(current.subscription_ids, names, strict=True))
        return ConfirmedPage(
            context,
            [by_id[i] for i in current.subscription_ids if i not in failed],
            [by_id[i] for i in current.subscription_ids if i in failed],
        )

    async def _verified(self, token: str) -> tuple[Confirmation, VerifiedLink]:
        public_id, secret = await self.links.verify_confirmation(token)
        async with self.database.read() as repo:
            confirmation = await repo.confirmation_by_public_id(public_id)
        if confirmation is None:
            raise InvalidLink(GONE)
        _check_pending(confirmation, self.clock.now_ms())
        claims = LinkClaims(
            confirmation.portal_id,
            confirmation.subscriber,
            confirmation.business_unit_id,
            None,
            confirmation.language,
        )
        return confirmation, VerifiedLink(token, claims, token.split(".", 1)[0], secret)

    async def _shown(
        self, confirmation: Confirmation, link: VerifiedLink, nonce: str
    ) -> tuple[PageContext, list[str]]:
        """The page's brand and form, and the types' names as the subscriber reads them."""
        names = await type_names(self.database, confirmation)
        async with self.database.read() as repo:
            portal = await repo.get_portal(confirmation.portal_id)
            branding = await repo.branding(confirmation.portal_id, confirmation.business_unit_id)
        if portal is None or branding is None:
            raise InvalidLink(GONE)
        urls = {"confirm": confirmation_url(self.settings, link.token)}
        csrf = self.links.csrf_for(link, nonce) if nonce else ""
        brand = brand_of(portal, branding)
        return PageContext(brand, confirmation.subscriber, urls, csrf, nonce), names


def _check_pending(confirmation: Confirmation | None, now: int) -> None:
    if confirmation is None:
        raise InvalidLink(GONE)
    if confirmation.confirmed_at is not None:
        raise ConfirmationGone(
            "This subscription is confirmed already: there is nothing more to do.",
            "Already confirmed",
        )
    if now >= confirmation.expires_at:
        raise ConfirmationGone(
            "This confirmation link has expired. Nothing was changed; please sign up again.",
            "This link has expired",
        )


async def _check_types(
    repo: Repository, portal_id: int, business_unit_id: int, ids: list[int]
) -> None:
    """Every type must be active and of the business unit; all faults in one 400."""
    if not ids:
        raise InvalidInput.field(
            "subscriptionIds", "Name at least one subscription type.", "MISSING_FIELD"
        )
    definitions = {d.id: d for d in await repo.definitions(portal_id)}
    details: list[ErrorDetail] = []
    for subscription_id in ids:
        try:
            definition = active_definition(definitions.get(subscription_id), subscription_id)
        except CommprefsError as error:
            details.append(ErrorDetail(error.message, "subscriptionIds", "INVALID_VALUE"))
            continue
        if definition.business_unit_id != business_unit_id:
            details.append(other_unit(definition, business_unit_id, "subscriptionIds"))
    if details:
        raise InvalidInput("Invalid input: " + " ".join(d.message for d in details), details)
