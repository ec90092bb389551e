"""The one place where services are wired to a database and a clock.

Entry points (api/, pages/, cli/, app.py) reach the store only through here: they build
``Services``, call its services, and migrate and close the database through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from commprefs.auth.service import TokenService
from commprefs.centre.service import PageService
from commprefs.config import Settings
from commprefs.domain.clock import Clock, SystemClock
from commprefs.ledger.service import LedgerService
from commprefs.links.service import LinkService
from commprefs.portals.service import PortalService
from commprefs.preferences.service import PreferencesService
from commprefs.store.database import Database, is_memory
from commprefs.store.migrate import upgrade
from commprefs.transfer.service import IMPORT_BATCH_SIZE, ExportService, ImportService
from commprefs.webhooks.service import WebhookService


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Clock
    tokens: TokenService
    portals: PortalService
    preferences: PreferencesService
    ledger: LedgerService
    webhooks: WebhookService
    imports: ImportService
    exports: ExportService
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
            ledger=LedgerService(database, clock),
            webhooks=WebhookService(database, clock),
            # The same rules, in larger transactions than an API batch may ask for.
            imports=ImportService(
                database, clock, PreferencesService(database, clock, IMPORT_BATCH_SIZE)
            ),
            exports=ExportService(database),
            links=links,
            pages=PageService(database, clock, preferences, links),
        )

    @staticmethod
    def in_memory(settings: Settings) -> bool:
        """Whether the configured database lives in one process's memory (SQLite ``:memory:``),
        where no other process can see it."""
        return is_memory(settings.database_url)

    async def upgrade(self) -> None:
        """Bring the database schema to the newest version (a no-op when it is current)."""
        await upgrade(self.database)

    async def close(self) -> None:
        await self.database.dispose()
