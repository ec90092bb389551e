"""The one place where services are wired to a database and a clock."""

from __future__ import annotations

from dataclasses import dataclass

from commprefs.auth.service import TokenService
from commprefs.clock import Clock, SystemClock
from commprefs.config import Settings
from commprefs.links.service import LinkService
from commprefs.pages.service import PageService
from commprefs.portals.service import PortalService
from commprefs.preferences.service import PreferencesService
from commprefs.store.database import Database


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Clock
    tokens: TokenService
    portals: PortalService
    preferences: PreferencesService
    links: LinkService
    pages: PageService

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        database = Database(settings.database_url, settings.database_pool_size)
        preferences = PreferencesService(database, clock, settings.max_batch_inputs)
        links = LinkService(database, clock, settings)
        return cls(
            settings=settings,
            database=database,
            clock=clock,
            tokens=TokenService(database, clock),
            portals=PortalService(database, clock),
            preferences=preferences,
            links=links,
            pages=PageService(database, clock, preferences, links),
        )
