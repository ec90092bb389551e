"""What the pages show: view values built by the page service, rendered by the templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from commprefs.domain.preferences import LegalBasis, State

SOURCE_PAGE = "Preference page"
SOURCE_ONE_CLICK = "One-click unsubscribe"
# A subscriber who ticks a box on the page consents, having read the type's description:
# that is consent with notice, and it satisfies GDPR portals, which need a legal basis.
PAGE_LEGAL_BASIS = LegalBasis.CONSENT_WITH_NOTICE
PAGE_LEGAL_EXPLANATION = "Subscribed on the preference page"

DEFAULT_COLOUR = "#2b5797"


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str
    on_colour: str  # text colour readable on ``colour``
    logo_url: str | None
    logo_origin: str | None = None  # the Content-Security-Policy's image source for the logo


@dataclass(frozen=True)
class TypeRow:
    """One subscription type on the manage page."""

    id: int
    name: str
    description: str
    lang: str | None  # language of name/description when a translation is shown
    checked: bool
    highlighted: bool


@dataclass(frozen=True)
class PageContext:
    """What every page of one link has: the brand, who it is for, and the form's CSRF token."""

    brand: Brand
    subscriber: str
    urls: dict[str, str]  # manage, unsubscribe_all, unsubscribe_single (when the link has one)
    csrf: str = ""
    nonce: str = ""


@dataclass(frozen=True)
class ManagePage:
    context: PageContext
    types: list[TypeRow]
    opted_out: bool


@dataclass(frozen=True)
class ConfirmPage:
    """Unsubscribe-all or unsubscribe-single, before the subscriber confirms."""

    context: PageContext
    single: bool
    type_name: str | None = None


@dataclass(frozen=True)
class Change:
    name: str
    state: State


@dataclass(frozen=True)
class DonePage:
    """The confirmation after a change; ``kind`` is "saved", "unsubscribed-all" or
    "unsubscribed-single"."""

    context: PageContext
    kind: str
    changes: list[Change] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SubmittedForm:
    """A page form as posted: the CSRF field, the cookie, and for the manage form the ids of the
    types the page showed and of those ticked."""

    csrf: str | None
    cookie: str | None
    shown: list[str] = field(default_factory=list)
    ticked: list[str] = field(default_factory=list)
