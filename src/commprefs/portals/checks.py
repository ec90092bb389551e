"""What every service checks about the ids it is given, looked up in the store: that the portal,
the business unit and the subscription type are the account's. One lookup and one message
(domain/faults.py) per rule; preferences, links, transfer, ledger, webhooks, auth and portals
all check here."""

from __future__ import annotations

from commprefs.domain.errors import InvalidInput
from commprefs.domain.faults import unknown_business_unit, unknown_portal, unknown_subscription
from commprefs.domain.preferences import Actor, Definition, Portal
from commprefs.store.interface import Tenants


async def require_portal(repo: Tenants, portal_id: int) -> Portal:
    """The portal an operator or a command names, or NotFound."""
    portal = await repo.get_portal(portal_id)
    if portal is None:
        raise unknown_portal(portal_id)
    return portal


async def actor_portal(repo: Tenants, actor: Actor) -> Portal:
    """The portal of the token that acts: a 400 if the token outlived it (nothing to act on)."""
    portal = await repo.get_portal(actor.portal_id)
    if portal is None:
        raise InvalidInput("This token's portal no longer exists.")
    return portal


async def require_business_unit(repo: Tenants, portal_id: int, unit_id: int | None) -> None:
    """A business unit, when one is named, is the account's."""
    if unit_id is not None and await repo.get_business_unit(portal_id, unit_id) is None:
        raise unknown_business_unit(unit_id)


async def require_definition(repo: Tenants, portal_id: int, subscription_id: int) -> Definition:
    """One of the account's subscription types, active or not (changes need an active one:
    domain/faults.py active_definition)."""
    definition = await repo.get_definition(portal_id, subscription_id)
    if definition is None:
        raise unknown_subscription(subscription_id)
    return definition
