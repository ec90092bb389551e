"""The one place where services are wired to a database and a clock.

Entry points (api/, pages/, cli/, app.py) reach the store only through here: they build
``Services``, call its services, and migrate and close the database through it.
``database`` is the Database itself (migrations, disposal); the services are given it as the
``Transactions`` they run in, or, bound ``within`` a request's transaction, that one instead.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from commprefs.admin.imports import ImportJobs
from commprefs.admin.service import AdminService
from commprefs.auth.service import TokenService
from commprefs.centre.service import PageService
from commprefs.config import Settings
from commprefs.confirmations.service import ConfirmationService
from commprefs.domain.clock import Clock, SystemClock
from commprefs.domain.consent import Headers, origin
from commprefs.domain.errors import CommprefsError
from commprefs.emulator.clock import ControllableClock
from commprefs.emulator.service import Emulator
from commprefs.idempotency.service import IdempotencyService, RequestTransaction
from commprefs.ledger.service import LedgerService
from commprefs.links.service import LinkService
from commprefs.oauth.service import OAuthService
from commprefs.operators.changes import ConsoleActions
from commprefs.operators.dashboard import DashboardService
from commprefs.operators.service import OperatorService
from commprefs.operators.subjects import ConsoleSubjects
from commprefs.portals.service import PortalService
from commprefs.preferences.service import PreferencesService
from commprefs.store.database import Database, is_memory
from commprefs.store.interface import Repository, Transactions
from commprefs.store.migrate import current_revision, head_revision, upgrade
from commprefs.subjects.erasure import ErasureService
from commprefs.subjects.export import SubjectExport
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
    oauth: OAuthService  # issue 14
    # The admin API (issue 17): administrative changes with their audit records, import jobs.
    admin: AdminService
    import_jobs: ImportJobs
    # Consent context and double opt-in (issue 16).
    confirmations: ConfirmationService
    subjects: SubjectExport
    # The console (issue 17): its users and sessions, overview, and status changes (its other
    # changes are the admin API's: ``admin``, ``import_jobs``).
    operators: OperatorService
    dashboard: DashboardService
    console: ConsoleActions
    # Erasure (issue 16)
    erasure: ErasureService
    # Emulator mode (issue 15): the emulator under `serve --emulator` (seeds, reset, state, the
    # request journal, faults, the clock every service follows), else None.
    emulator: Emulator | None = None

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        database = Database(settings.database_url, settings.database_pool_size)
        emulator = None
        if settings.emulator:  # Emulator mode (issue 15): every service follows its clock
            controlled = ControllableClock(clock)
            emulator = Emulator(
                database,
                controlled,
                settings.known_tokens,
                journal_size=settings.journal_size,
                body_limit=settings.max_body_bytes,
            )
            clock = controlled
        idempotency = IdempotencyService(database, clock, settings.idempotency_ttl_seconds)
        return cls._wired(settings, database, clock, database, idempotency, emulator)

    def within(self, transaction: Transactions[Repository]) -> Services:
        """The same services, each running in ``transaction`` rather than in transactions of its
        own: what a request's operation calls once its Idempotency-Key is claimed (api/deps.py).
        Made per keyed request, which is cheap: the constructors only keep what they are given.
        ``idempotency`` and ``imports`` stay on the database: claims and an import's batches
        open transactions, they never join one."""
        forget_log: Callable[[], Awaitable[None]] = self.database.forget_log
        if isinstance(transaction, RequestTransaction):  # erasure: after the request's commit
            forget_log = transaction.after_commit(forget_log)
        bound = self._wired(
            self.settings,
            self.database,
            self.clock,
            transaction,
            self.idempotency,
            self.emulator,
            forget_log,
        )
        return replace(bound, import_jobs=self.import_jobs)  # the running jobs are the process's

    @classmethod
    def _wired(
        cls,
        settings: Settings,
        database: Database,
        clock: Clock,
        transactions: Transactions[Repository],
        idempotency: IdempotencyService,
        emulator: Emulator | None = None,
        forget_log: Callable[[], Awaitable[None]] | None = None,
    ) -> Services:
        preferences = PreferencesService(transactions, clock, settings.max_batch_inputs)
        links = LinkService(transactions, clock, settings)
        imports = ImportService(database, clock)
        return cls(
            settings=settings,
            database=database,
            clock=clock,
            tokens=TokenService(transactions, clock),
            portals=PortalService(transactions, clock),
            preferences=preferences,
            ledger=LedgerService(transactions, clock),
            webhooks=WebhookService(transactions, clock),
            imports=imports,
            exports=ExportService(transactions),
            links=links,
            pages=PageService(transactions, clock, preferences, links),
            idempotency=idempotency,
            oauth=OAuthService(transactions, clock, settings, links.form_secret),  # issue 14
            admin=AdminService(database, clock, settings),
            import_jobs=ImportJobs(database, clock, imports),
            emulator=emulator,
            confirmations=ConfirmationService(transactions, clock, settings, links),
            subjects=SubjectExport(transactions, clock),
            # The console (issue 17); its services' constructors only keep what they are given.
            operators=OperatorService(transactions, clock, settings),
            dashboard=DashboardService(transactions, clock, LedgerService(transactions, clock)),
            console=ConsoleActions(
                transactions, clock, preferences, LedgerService(transactions, clock)
            ),
            # Erasure (issue 16)
            erasure=ErasureService(
                transactions,
                clock,
                forget_log or database.forget_log,
                emulator.journal.forget if emulator is not None else None,
            ),
        )

    @property
    def console_subjects(self) -> ConsoleSubjects:
        """The console's export and erasure buttons (issue 17 on issue 16): the two services
        above, for a console user (cheap: the constructor only keeps what it is given)."""
        return ConsoleSubjects(self.subjects, self.erasure)

    def origin(self, client: Sequence[Any] | None, headers: Headers) -> dict[str, Any]:
        """Issue 16: the IP (believed from X-Forwarded-For only behind a trusted proxy) and user
        agent of a request, as the operator keeps them (COMMPREFS_CONSENT_IP), for the consent
        context of the changes it makes: the API's, the pages' and the console's alike."""
        return origin(client, headers, self.settings.proxy_networks, self.settings.consent_ip)

    @staticmethod
    def in_memory(settings: Settings) -> bool:
        """Whether the configured database lives in one process's memory (SQLite ``:memory:``),
        where no other process can see it."""
        return is_memory(settings.database_url)

    async def upgrade(self) -> None:
        """Bring the database schema to the newest version (a no-op when it is current)."""
        await upgrade(self.database)

    async def close(self) -> None:
        await self.import_jobs.close()
        await self.database.dispose()
        if self.emulator is not None:
            self.emulator.close()

    # -- Health (issue 15) -------------------------------------------------------------------------

    async def unready(self) -> str | None:
        """Why the service cannot serve yet (database unreachable, schema not at head, the
        emulator's seed not applied), or None when it can."""
        try:
            current = await current_revision(self.database)
        except CommprefsError as error:
            return f"database unreachable: {error.message}"
        head = _head_revision()
        if current != head:
            return f"schema at revision {current}, not at head {head}"
        if self.emulator is not None and not self.emulator.ready:
            return "seed not applied yet"
        return None


@functools.cache
def _head_revision() -> str | None:
    # Read once, when first asked: reading the migration scripts costs every command otherwise.
    return head_revision()
