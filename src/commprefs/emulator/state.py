"""The current state as a seed document (``GET /_commprefs/state``): seeding it into a fresh
emulator reproduces what the API reads (types with their ids, times and translations; statuses;
opt-outs in force).

What a seed cannot say is left out: tokens other than the emulator's known ones (only their
hashes are stored), the ledger's history (a seeded emulator's ledger holds one ``seed`` entry per
status), and an opt-out that was lifted (it reads as never having been there).
"""

from __future__ import annotations

from collections.abc import Mapping

from commprefs.auth.service import digest
from commprefs.domain.preferences import Channel, State, WideType
from commprefs.emulator.schemas import (
    SeedBranding,
    SeedBusinessUnit,
    SeedDefinition,
    SeedDocument,
    SeedOptOut,
    SeedPortal,
    SeedStatus,
    SeedToken,
    SeedTranslation,
)
from commprefs.store.interface import Repository, Transactions


async def read_state(
    database: Transactions[Repository], known_tokens: Mapping[str, str]
) -> SeedDocument:
    """Everything seedable, read in one snapshot. ``known_tokens``: secret → name of the tokens
    whose secrets the emulator was given (a seed's, ``--token``)."""
    by_digest = {digest(secret): secret for secret in known_tokens}
    portals, units, definitions, tokens = [], [], [], []
    statuses, opt_outs = [], []
    async with database.snapshot() as repo:
        for portal in await repo.list_portals():
            pid = portal.id
            portals.append(SeedPortal(id=pid, name=portal.name, gdpr=portal.gdpr))
            for unit in await repo.business_units(pid):
                brand = await repo.branding(pid, unit.id)
                branding = None
                if brand is not None and (brand.name or brand.colour or brand.logo_url):
                    branding = SeedBranding(
                        name=brand.name, colour=brand.colour, logo_url=brand.logo_url
                    )
                if unit.id != 0 or branding is not None:
                    units.append(
                        SeedBusinessUnit(
                            portal_id=pid, id=unit.id, name=unit.name, branding=branding
                        )
                    )
            types = await repo.definitions(pid)
            translations = await repo.translations([d.id for d in types])
            definitions += [
                SeedDefinition(
                    portal_id=pid,
                    id=d.id,
                    name=d.name,
                    description=d.description,
                    purpose=d.purpose,
                    communication_method=d.communication_method,
                    business_unit_id=d.business_unit_id,
                    is_active=d.is_active,
                    is_default=d.is_default,
                    is_internal=d.is_internal,
                    created_at=d.created_at,
                    updated_at=d.updated_at,
                    translations=[
                        SeedTranslation(
                            language_code=t.language_code,
                            name=t.name,
                            description=t.description,
                            created_at=t.created_at,
                            updated_at=t.updated_at,
                        )
                        for t in translations[d.id]
                    ],
                )
                for d in types
            ]
            for record in await repo.list_tokens(pid):
                secret = by_digest.get(record.secret_sha256)
                if secret is not None and record.active:
                    tokens.append(
                        SeedToken(
                            portal_id=pid,
                            value=secret,
                            name=record.name,
                            scopes=sorted(record.scopes),
                        )
                    )
            async for row in repo.stored_choices(pid, Channel.EMAIL):
                statuses.append(
                    SeedStatus(
                        portal_id=pid,
                        email=row.subscriber,
                        subscription_id=row.subscription_id,
                        status=State(row.status).value,
                        legal_basis=row.legal_basis,
                        legal_basis_explanation=row.legal_basis_explanation,
                        source=row.source,
                        timestamp=row.updated_at,
                    )
                )
            async for row in repo.active_opt_outs(pid, Channel.EMAIL):
                portal_wide = row.wide_type == WideType.PORTAL_WIDE.value
                opt_outs.append(
                    SeedOptOut(
                        portal_id=pid,
                        email=row.subscriber,
                        business_unit_id=None if portal_wide else row.business_unit_id,
                        source=row.source,
                        timestamp=row.updated_at,
                    )
                )
    return SeedDocument(
        portals=portals,
        business_units=units,
        subscription_definitions=definitions,
        tokens=tokens,
        statuses=statuses,
        opt_outs=opt_outs,
    )
