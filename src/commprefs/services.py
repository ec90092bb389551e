"""The one place where services are wired to a database and a clock.

Entry points (api/, pages/, cli/, app.py) reach the store only through here: they build
``Services``, call its services, and migrate and close the database through it.
``database`` is the Database itself (migrations, disposal); the services are given it as the
``Transactions`` they run in, or, bound ``within`` a request's transaction, that one instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from commprefs.auth.service import TokenService
from commprefs.centre.service import PageService
from commprefs.config import Settings
from commprefs.domain.clock import Clock, SystemClock
from commprefs.idempotency.service import IdempotencyService
from commprefs.ledger.service import LedgerService
from commprefs.links.service import LinkService
from commprefs.portals.service import PortalService
from commprefs.preferences.service import PreferencesService
from commprefs.store.database import Database, is_memory
from commprefs.store.interface import Repository, Transactions
from commprefs.store.migrate import upgrade
from commprefs.subjects.erasure import ErasureService
from commprefs.transfer.service import ExportService, ImportService
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
    idempotency: IdempotencyService
    # Erasure (issue 16)
    erasure: ErasureService

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        database = Database(settings.database_url, settings.database_pool_size)
        idempotency = IdempotencyService(database, clock, settings.idempotency_ttl_seconds)
        return cls._wired(settings, database, clock, database, idempotency)

    def within(self, transaction: Transactions[Repository]) -> Services:
        """The same services, each running in ``transaction`` rather than in transactions of its
        own: what a request's operation calls once its Idempotency-Key is claimed (api/deps.py).
        Made per keyed request, which is cheap: the constructors only keep what they are given.
        ``idempotency`` and ``imports`` stay on the database: claims and an import's batches
        open transactions, they never join one."""
        return self._wired(self.settings, self.database, self.clock, transaction, self.idempotency)

    @classmethod
    def _wired(
        cls,
        settings: Settings,
        database: Database,
        clock: Clock,
        transactions: Transactions[Repository],
        idempotency: IdempotencyService,
    ) -> Services:
        preferences = PreferencesService(transactions, clock, settings.max_batch_inputs)
        links = LinkService(transactions, clock, settings)
        return cls(
            settings=settings,
            database=database,
            clock=clock,
            tokens=TokenService(transactions, clock),
            portals=PortalService(transactions, clock),
            preferences=preferences,
            ledger=LedgerService(transactions, clock),
            webhooks=WebhookService(transactions, clock),
            imports=ImportService(database, clock),
            exports=ExportService(transactions),
            links=links,
            pages=PageService(transactions, clock, preferences, links),
            idempotency=idempotency,
            # Erasure (issue 16)
            erasure=ErasureService(transactions, clock, database.forget_log),
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
