"""The faults any entry point may meet in what it is given, each with its one message: a portal,
business unit or subscription type the account does not have, a type that is not active, a legal
basis that is not one. Services raise these (portals/checks.py looks the ids up); nothing else
words them, so v3, v4, links, imports and the CLI all say the same thing."""

from __future__ import annotations

from commprefs.domain.errors import ErrorDetail, InvalidInput, MissingScopes, NotFound
from commprefs.domain.preferences import Definition, LegalBasis

_LEGAL_BASES = frozenset(LegalBasis)


def unknown_portal(portal_id: int) -> NotFound:
    return NotFound(f"Portal {portal_id} does not exist.")


def unknown_business_unit(unit_id: int) -> InvalidInput:
    return InvalidInput.field(
        "businessUnitId", f"Business unit {unit_id} does not exist in this account."
    )


def unknown_subscription(subscription_id: int) -> InvalidInput:
    return InvalidInput.field(
        "subscriptionId", f"Subscription {subscription_id} does not exist in this account."
    )


def other_unit(definition: Definition, business_unit_id: int, field: str) -> ErrorDetail:
    """A type named for a business unit that is not its own (links, double opt-in)."""
    message = (
        f"Subscription {definition.id} belongs to business unit "
        f"{definition.business_unit_id}, not {business_unit_id}."
    )
    return ErrorDetail(message, field, "INVALID_VALUE")


def active_definition(definition: Definition | None, subscription_id: int) -> Definition:
    """The type a change or a link names (``definition``, as looked up), if it can be used:
    it is one of the account's and it is active."""
    if definition is None:
        raise unknown_subscription(subscription_id)
    if not definition.is_active:
        raise InvalidInput.field("subscriptionId", f"Subscription {subscription_id} is not active.")
    return definition


def check_legal_basis_value(value: str | None) -> None:
    """A legal basis, when given, is one of HubSpot's (LegalBasis)."""
    if value is not None and value not in _LEGAL_BASES:
        raise InvalidInput.field(
            "legalBasis", f"legalBasis {value!r} is not one of {', '.join(LegalBasis)}."
        )


def missing_portal() -> MissingScopes:
    """An administrative change of a portal asked for with a token of no portal (an instance
    token): the admin API's routes refuse it before, so this is the services' own guard."""
    return MissingScopes("This change needs the token of a portal, not of the instance.")


def erased_on_request(subscriber: str) -> InvalidInput:
    """An import (or any change that is not new consent) of an erased address."""
    return InvalidInput.field(
        "subscriberIdString",
        f"{subscriber} was erased on request: only a new explicit consent (SUBSCRIBED) "
        "records it again.",
        "ERASED",
    )
