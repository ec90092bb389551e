"""An in-memory fake of the store for the preference rules' unit tests: MemoryRepository
implements store/interface.py's PreferencesRepository (tenants, statuses, ledger appends) as
SqlRepository does on SQL, and MemoryDatabase hands it out as Database does, inside
transactions: ``write()`` works on a copy that replaces what is committed when the block ends
and is dropped on any error; writers take turns; ``read()`` and ``snapshot()`` work on a copy
of what was committed when they began."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from commprefs.domain.branding import Branding
from commprefs.domain.ledger import ErasureRecord
from commprefs.domain.preferences import (
    BusinessUnit,
    Channel,
    Definition,
    LedgerEntry,
    Portal,
    StoredStatus,
    Translation,
    WideStatus,
    WideType,
)


@dataclass
class MemoryData:
    """Everything a MemoryDatabase holds: the rows of the tables, by their keys."""

    portals: dict[int, Portal] = field(default_factory=dict)
    units: dict[tuple[int, int], Branding] = field(default_factory=dict)
    definitions: dict[int, Definition] = field(default_factory=dict)
    translations: dict[tuple[int, str], Translation] = field(default_factory=dict)
    # (portal, subscriber, channel) -> subscription id -> choice
    statuses: dict[tuple[int, str, Channel], dict[int, StoredStatus]] = field(default_factory=dict)
    # (portal, subscriber, channel, wide type, business unit) -> wide status
    wides: dict[tuple[int, str, Channel, WideType, int], WideStatus] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    # (portal, subscriber) -> when it was erased (the SQL store keeps a keyed hash instead)
    erased: dict[tuple[int, str], int] = field(default_factory=dict)
    last_id: int = 0  # ids are handed out across tables, as no caller relies on them

    def next_id(self) -> int:
        self.last_id += 1
        return self.last_id


class MemoryRepository:
    """store/interface.py's PreferencesRepository on a MemoryData, for one transaction."""

    def __init__(self, data: MemoryData) -> None:
        self.data = data

    # -- Tenants ---------------------------------------------------------------------------------

    async def create_portal(
        self, name: str, gdpr: bool, now: int, portal_id: int | None = None
    ) -> Portal:
        portal = Portal(self.data.next_id() if portal_id is None else portal_id, name, gdpr)
        self.data.portals[portal.id] = portal
        return portal

    async def get_portal(self, portal_id: int) -> Portal | None:
        return self.data.portals.get(portal_id)

    async def list_portals(self) -> list[Portal]:
        return [self.data.portals[id_] for id_ in sorted(self.data.portals)]

    async def count_portals(self) -> int:
        return len(self.data.portals)

    async def create_business_unit(
        self, portal_id: int, name: str, now: int, unit_id: int | None = None
    ) -> BusinessUnit:
        if unit_id is None:
            unit_id = max((u for p, u in self.data.units if p == portal_id), default=0) + 1
        if (portal_id, unit_id) in self.data.units:
            raise ValueError(f"business unit {unit_id} exists")  # the primary key
        self.data.units[(portal_id, unit_id)] = Branding(portal_id, unit_id, name, None, None, None)
        return BusinessUnit(portal_id, unit_id, name)

    async def get_business_unit(self, portal_id: int, unit_id: int) -> BusinessUnit | None:
        found = self.data.units.get((portal_id, unit_id))
        return BusinessUnit(portal_id, unit_id, found.unit_name) if found else None

    async def business_units(self, portal_id: int) -> list[BusinessUnit]:
        return [
            BusinessUnit(p, u, b.unit_name)
            for (p, u), b in sorted(self.data.units.items())
            if p == portal_id
        ]

    async def create_definition(self, **values: Any) -> Definition | None:
        taken = {(d.portal_id, d.business_unit_id, d.name) for d in self.data.definitions.values()}
        if (values["portal_id"], values["business_unit_id"], values["name"]) in taken:
            return None
        return await self.create_definition_unchecked(**values)

    async def create_definition_unchecked(self, **values: Any) -> Definition:
        values.setdefault("id", self.data.next_id())
        definition = Definition(**values)
        self.data.definitions[definition.id] = definition
        return definition

    async def definitions(
        self, portal_id: int, business_unit_id: int | None = None, active_only: bool = False
    ) -> list[Definition]:
        return [
            d
            for _, d in sorted(self.data.definitions.items())
            if d.portal_id == portal_id
            and business_unit_id in (None, d.business_unit_id)
            and (d.is_active or not active_only)
        ]

    async def get_definition(self, portal_id: int, definition_id: int) -> Definition | None:
        found = self.data.definitions.get(definition_id)
        return found if found is not None and found.portal_id == portal_id else None

    async def translations(self, definition_ids: Sequence[int]) -> dict[int, list[Translation]]:
        found: dict[int, list[Translation]] = {i: [] for i in definition_ids}
        for (definition_id, _), translation in sorted(self.data.translations.items()):
            if definition_id in found:
                found[definition_id].append(translation)
        return found

    async def put_translation(
        self, definition_id: int, language_code: str, name: str, description: str, now: int
    ) -> Translation:
        earlier = self.data.translations.get((definition_id, language_code))
        created = earlier.created_at if earlier else now
        translation = Translation(definition_id, language_code, name, description, created, now)
        self.data.translations[(definition_id, language_code)] = translation
        return translation

    async def branding(self, portal_id: int, unit_id: int) -> Branding | None:
        return self.data.units.get((portal_id, unit_id))

    async def set_branding(self, portal_id: int, unit_id: int, values: dict[str, Any]) -> bool:
        found = self.data.units.get((portal_id, unit_id))
        if found is None:
            return False
        fields = {"brand_name": "name", "brand_colour": "colour", "brand_logo_url": "logo_url"}
        changes = {fields[column]: value for column, value in values.items()}
        self.data.units[(portal_id, unit_id)] = replace(found, **changes)
        return True

    # -- Statuses --------------------------------------------------------------------------------

    async def lock_subscribers(self, portal_id: int, subscribers: Iterable[str]) -> None:
        """Nothing to do: writers take turns (MemoryDatabase.write)."""

    async def stored_statuses(
        self, portal_id: int, subscribers: Sequence[str], channel: Channel
    ) -> dict[str, dict[int, StoredStatus]]:
        return {s: dict(self.data.statuses.get((portal_id, s, channel), {})) for s in subscribers}

    async def wide_statuses(
        self, portal_id: int, subscribers: Sequence[str], channel: Channel
    ) -> dict[str, list[WideStatus]]:
        found: dict[str, list[WideStatus]] = {s: [] for s in subscribers}
        # As SQL orders them: PORTAL_WIDE first, then by business unit.
        mine = [w for k, w in self.data.wides.items() if k[0] == portal_id and k[2] is channel]
        for wide in sorted(
            mine, key=lambda w: (w.wide_type is not WideType.PORTAL_WIDE, w.business_unit_id)
        ):
            if wide.subscriber in found:
                found[wide.subscriber].append(wide)
        return found

    async def put_statuses(
        self, portal_id: int, channel: Channel, changes: Sequence[tuple[str, StoredStatus]]
    ) -> None:
        for subscriber, status in changes:
            key = (portal_id, subscriber, channel)
            self.data.statuses.setdefault(key, {})[status.subscription_id] = status

    async def put_wide_statuses(self, portal_id: int, changes: Sequence[WideStatus]) -> None:
        for w in changes:
            key = (portal_id, w.subscriber, w.channel, w.wide_type, w.business_unit_id)
            self.data.wides[key] = w

    # -- Erasures --------------------------------------------------------------------------------

    async def erased(self, portal_id: int, subscribers: Sequence[str]) -> dict[str, int]:
        found = {s: self.data.erased.get((portal_id, s)) for s in subscribers}
        return {s: when for s, when in found.items() if when is not None}

    async def lift_erasures(self, portal_id: int, subscribers: Sequence[str]) -> None:
        for subscriber in subscribers:
            self.data.erased.pop((portal_id, subscriber), None)

    # -- LedgerAppends ---------------------------------------------------------------------------

    async def append_ledger(self, entries: Sequence[LedgerEntry | ErasureRecord]) -> None:
        self.data.ledger.extend(e for e in entries if isinstance(e, LedgerEntry))


class MemoryDatabase:
    """store/interface.py's Transactions of MemoryRepository."""

    def __init__(self) -> None:
        self.committed = MemoryData()
        self._writer = asyncio.Lock()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[MemoryRepository]:
        async with self._writer:
            working = copy.deepcopy(self.committed)
            yield MemoryRepository(working)
            self.committed = working  # not reached on an error: the copy is dropped

    @asynccontextmanager
    async def read(self) -> AsyncIterator[MemoryRepository]:
        yield MemoryRepository(copy.deepcopy(self.committed))

    snapshot = read

    @property
    def ledger(self) -> list[LedgerEntry]:
        """Every committed ledger entry, in order."""
        return self.committed.ledger
