"""The page service: what each hosted page shows, and the changes its forms and one-click POSTs
make. Every change goes through PreferencesService, with the page's source in the ledger."""

from __future__ import annotations

from commprefs.centre.models import (
    DEFAULT_COLOUR,
    PAGE_LEGAL_BASIS,
    PAGE_LEGAL_EXPLANATION,
    SOURCE_PAGE,
    Brand,
    Change,
    ConfirmPage,
    DonePage,
    ManagePage,
    PageContext,
    SubmittedForm,
    TypeRow,
)
from commprefs.domain.brand_rules import shown_colour, shown_logo
from commprefs.domain.branding import Branding
from commprefs.domain.clock import Clock
from commprefs.domain.errors import CommprefsError
from commprefs.domain.languages import best_translations
from commprefs.domain.links import InvalidLink, VerifiedLink
from commprefs.domain.numbers import ascii_digits
from commprefs.domain.preferences import (
    Actor,
    Channel,
    Portal,
    Reason,
    State,
    Status,
    StatusChange,
    Translation,
)
from commprefs.links.service import LinkService
from commprefs.preferences.service import PreferencesService
from commprefs.store.interface import Repository, Transactions

_GONE = "This link no longer points at anything we send. Nothing was changed."


class PageService:
    def __init__(
        self,
        database: Transactions[Repository],
        clock: Clock,
        preferences: PreferencesService,
        links: LinkService,
    ) -> None:
        self.database = database
        self.clock = clock
        self.preferences = preferences
        self.links = links

    # -- what the pages show (GET: never changes anything) ---------------------------------------

    async def manage_page(self, token: str, nonce: str, request_id: str) -> ManagePage:
        link = await self.links.verify(token)
        portal, branding = await self._tenant(link)
        statuses = await self._statuses(link, request_id)
        opt_outs = await self.preferences.get_unsubscribe_all(
            _actor(link, request_id),
            link.claims.subscriber,
            Channel.EMAIL,
            branding.business_unit_id,
        )
        names = await self._translations(link, [s.definition.id for s in statuses])
        rows = []
        for status in statuses:
            translated = names.get(status.definition.id)
            rows.append(
                TypeRow(
                    id=status.definition.id,
                    name=_name(status, names),
                    description=(
                        translated.description if translated else status.definition.description
                    ),
                    lang=translated.language_code if translated else None,
                    checked=shown_as_subscribed(status.status, portal.gdpr),
                    highlighted=status.definition.id == link.claims.subscription_id,
                )
            )
        return ManagePage(self._context(link, portal, branding, nonce), rows, bool(opt_outs))

    async def confirm_page(
        self, token: str, nonce: str, single: bool, request_id: str
    ) -> ConfirmPage:
        link = await self.links.verify(token)
        portal, branding = await self._tenant(link)
        context = self._context(link, portal, branding, nonce)
        if not single:
            return ConfirmPage(context, single=False)
        status = await self._single_status(link, request_id)
        names = await self._translations(link, [status.definition.id])
        return ConfirmPage(context, True, _name(status, names))

    # -- changes (POST only) ---------------------------------------------------------------------

    async def save(self, token: str, form: SubmittedForm, request_id: str) -> DonePage:
        """Applies the manage form: only types the page showed, and only where the box now
        differs from what the page showed, so a partial form never switches anything else.

        Here and in ``unsubscribe``, everything that reads or can fail happens before the write:
        once it has committed, only building the answer is left."""
        link = await self.links.verify(token)
        self.links.check_csrf(link, form.csrf, form.cookie)
        portal, branding = await self._tenant(link)
        shown, ticked = _ids(form.shown), _ids(form.ticked)
        statuses = await self._statuses(link, request_id)
        names = await self._translations(link, [s.definition.id for s in statuses])
        context = self._context(link, portal, branding, "")
        changes = []
        by_id: dict[int, Status] = {}
        for status in statuses:
            wanted = status.definition.id in ticked
            if status.definition.id not in shown:
                continue
            if wanted == shown_as_subscribed(status.status, portal.gdpr):
                continue
            by_id[status.definition.id] = status
            changes.append(_page_change(link, status.definition.id, wanted))
        outcome = await self.preferences.update_statuses(
            _actor(link, request_id), changes, SOURCE_PAGE
        )
        failed = [_name(by_id[changes[i].subscription_id], names) for i, _ in outcome.errors]
        return DonePage(context, "saved", _changes(outcome.statuses, names), failed)

    async def unsubscribe(
        self, token: str, single: bool, source: str, request_id: str, form: SubmittedForm | None
    ) -> DonePage:
        """Unsubscribe-all (portal-wide for business unit 0, else that unit's) or from the
        link's one type. ``form`` is None for an RFC 8058 one-click POST: no cookie, no CSRF."""
        link = await self.links.verify(token)
        if form is not None:
            self.links.check_csrf(link, form.csrf, form.cookie)
        portal, branding = await self._tenant(link)
        actor = _actor(link, request_id)
        context = self._context(link, portal, branding, "")
        if single:
            status = await self._single_status(link, request_id)
            names = await self._translations(link, [status.definition.id])
            change = _page_change(link, status.definition.id, subscribe=False)
            outcome = await self.preferences.update_status(actor, change, source)
            return DonePage(context, "unsubscribed-single", _changes(outcome.statuses, names))
        unit = link.claims.business_unit_id or None
        outcome = await self.preferences.unsubscribe_all(
            actor, link.claims.subscriber, Channel.EMAIL, unit, source
        )
        return DonePage(context, "unsubscribed-all", _changes(outcome.statuses, {}))

    # -- helpers ---------------------------------------------------------------------------------

    async def _tenant(self, link: VerifiedLink) -> tuple[Portal, Branding]:
        async with self.database.read() as repo:
            portal = await repo.get_portal(link.claims.portal_id)
            branding = await repo.branding(link.claims.portal_id, link.claims.business_unit_id)
        if portal is None or branding is None:
            raise InvalidLink(_GONE)
        return portal, branding

    async def _statuses(self, link: VerifiedLink, request_id: str) -> list[Status]:
        try:
            outcome = await self.preferences.get_statuses(
                _actor(link, request_id),
                link.claims.subscriber,
                Channel.EMAIL,
                link.claims.business_unit_id,
            )
        except CommprefsError:  # the business unit went away after the link was sent
            raise InvalidLink(_GONE) from None
        return outcome.statuses

    async def _single_status(self, link: VerifiedLink, request_id: str) -> Status:
        wanted = link.claims.subscription_id
        for status in await self._statuses(link, request_id):
            if status.definition.id == wanted:
                return status
        raise InvalidLink(
            "This link is for a subscription type that is no longer offered. Nothing was changed."
        )

    async def _translations(self, link: VerifiedLink, ids: list[int]) -> dict[int, Translation]:
        if not link.claims.language:
            return {}
        async with self.database.read() as repo:
            found = await repo.translations(ids)
        return best_translations(found, link.claims.language)

    def _context(
        self, link: VerifiedLink, portal: Portal, branding: Branding, nonce: str
    ) -> PageContext:
        urls = self.links.links_for(link.token, link.claims)
        paths = {"manage": urls.manage_url, "unsubscribe_all": urls.unsubscribe_all_url}
        if urls.unsubscribe_single_url:
            paths["unsubscribe_single"] = urls.unsubscribe_single_url
        csrf = self.links.csrf_for(link, nonce) if nonce else ""
        return PageContext(brand_of(portal, branding), link.claims.subscriber, paths, csrf, nonce)


def shown_as_subscribed(state: State, gdpr: bool) -> bool:
    """The box is ticked for SUBSCRIBED; for a type never chosen, it shows what happens to mail:
    sent (ticked) in a portal without GDPR, not sent (unticked) with GDPR, where mail needs
    consent."""
    if state is State.NOT_SPECIFIED:
        return not gdpr
    return state is State.SUBSCRIBED


def brand_of(portal: Portal, branding: Branding) -> Brand:
    # Business unit 0 is the account itself: by default it carries the portal's name.
    default_name = portal.name if branding.business_unit_id == 0 else branding.unit_name
    colour = shown_colour(branding.colour) or DEFAULT_COLOUR
    logo, logo_origin = shown_logo(branding.logo_url) or (None, None)
    return Brand(branding.name or default_name, colour, readable_on(colour), logo, logo_origin)


def readable_on(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour`` (WCAG relative luminance)."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with white is 1.05 / (L + 0.05), with black (L + 0.05) / 0.05.
    return "#ffffff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 else "#111111"


def _ids(values: list[str]) -> set[int]:
    return {int(v) for v in values if ascii_digits(v) and len(v) <= 19}


def _actor(link: VerifiedLink, request_id: str) -> Actor:
    return Actor(link.claims.portal_id, token_id=None, request_id=request_id, api="pages")


def _page_change(link: VerifiedLink, subscription_id: int, subscribe: bool) -> StatusChange:
    if subscribe:
        return StatusChange(
            link.claims.subscriber,
            subscription_id,
            State.SUBSCRIBED,
            legal_basis=PAGE_LEGAL_BASIS.value,
            legal_basis_explanation=PAGE_LEGAL_EXPLANATION,
        )
    return StatusChange(link.claims.subscriber, subscription_id, State.UNSUBSCRIBED)


def _changes(statuses: list[Status], names: dict[int, Translation]) -> list[Change]:
    """What actually changed, with the names the subscriber saw."""
    return [
        Change(_name(s, names), s.status)
        for s in statuses
        if s.reason is not None and s.reason is not Reason.NO_STATUS_CHANGE
    ]


def _name(status: Status, names: dict[int, Translation]) -> str:
    translated = names.get(status.definition.id)
    return translated.name if translated else status.definition.name
