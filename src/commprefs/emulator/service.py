"""The emulator (``serve --emulator``): its baseline (the seed, or the default first start, plus
the known tokens), reset to it, a new seed, the state as a seed document; the request journal,
the injected faults and the controllable clock it holds (every service follows that clock); and
the hooks that other in-process state (the rate-limit counters) registers to be reset with it.

Reset is honest about the append-only ledger: no row is ever deleted. The baseline is built once
per seed, through the services, in a SQLite file of its own; a reset replaces the whole live
database with a copy of it (SQLite's online backup; about a millisecond for a small seed). On
PostgreSQL every table is dropped, the schema migrated anew and the seed applied again.
"""

from __future__ import annotations

import asyncio
import inspect
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from commprefs.auth.service import TokenService
from commprefs.domain.clock import Clock
from commprefs.emulator.clock import ControllableClock
from commprefs.emulator.faults import FaultService
from commprefs.emulator.journal import Journal
from commprefs.emulator.schemas import SeedDocument
from commprefs.emulator.seed import apply_seed
from commprefs.emulator.state import read_state
from commprefs.portals.service import PortalService
from commprefs.store.database import Database
from commprefs.store.interface import Repository, Transactions
from commprefs.store.migrate import upgrade
from commprefs.store.sqlite import copy_sqlite_file
from commprefs.store.transactions import OpenTransaction

ResetHook = Callable[[], Awaitable[None] | None]
KNOWN_TOKEN_NAME = "known token"  # noqa: S105 - a token's name, not its secret


class Emulator:
    """``clock`` is the one clock of every service in emulator mode (services.py); the journal
    keeps the last ``journal_size`` requests, their bodies up to ``body_limit`` bytes each."""

    def __init__(
        self,
        database: Database,
        clock: ControllableClock,
        known_tokens: Sequence[str],
        *,
        journal_size: int = 10_000,
        body_limit: int = 1_048_576,
    ) -> None:
        self.database = database
        self.clock = clock
        self.journal = Journal(journal_size, body_limit, TokenService(database, clock))
        self.faults = FaultService()
        self.known_tokens = list(dict.fromkeys(known_tokens))
        # The baseline's document; None: the default first start (portal, two example types).
        self.document: SeedDocument | None = None
        self.ready = False
        self._hooks: list[ResetHook] = []
        self._folder = Path(tempfile.mkdtemp(prefix="commprefs-emulator-"))
        self._baseline: Path | None = None
        # The emulator's time when the baseline was built: what the seed's times default to,
        # and, on PostgreSQL, the time a reset applies the seed again at.
        self._seeded_at = ControllableClock()
        self._builds = 0
        self._lock = asyncio.Lock()

    def on_reset(self, hook: ResetHook) -> None:
        """Call ``hook`` (plain or async) after every reset and seed: what keeps state outside
        the database (journal, faults, clock, rate-limit counters) forgets it there."""
        self._hooks.append(hook)

    @property
    def secrets(self) -> dict[str, str]:
        """Every token secret the emulator knows (``--token``, the seed's), by secret."""
        known = dict.fromkeys(self.known_tokens, KNOWN_TOKEN_NAME)
        if self.document is not None:
            known.update({t.value: t.name for t in self.document.tokens})
        return known

    async def start(self, document: SeedDocument | None) -> None:
        """At start-up, the schema migrated: build the baseline; a database with no portal (a
        new one) becomes it, one with data (``--database`` of an earlier run) is kept as it is,
        given the known tokens."""
        async with self._lock:
            await self._build(document)
            async with self.database.read() as repo:
                empty = not await repo.count_portals()
            if empty:
                await self._restore()
            else:
                await _known_tokens(self.database, self.clock, self.known_tokens)
        self.ready = True

    async def seed(self, document: SeedDocument) -> None:
        """Make ``document`` the baseline and the state (replacing what was there). Applied in
        a baseline of its own first: a seed the services refuse changes nothing."""
        async with self._lock:
            await self._build(document)
            await self._restore()
        await self._after_reset()

    async def reset(self) -> None:
        """Back to exactly the baseline: statuses, opt-outs, ledger, idempotency keys, link
        keys; the journal, faults and clock (``reset_controls``); and whatever registered with
        ``on_reset``."""
        self.reset_controls()
        async with self._lock:
            await self._restore()
        await self._after_reset()

    def reset_controls(self) -> None:
        """Empty the journal, remove every fault, return the clock to real time."""
        self.journal.clear()
        self.faults.clear()
        self.clock.follow_real_time()

    async def state(self) -> SeedDocument:
        return await read_state(self.database, self.secrets)

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    async def _build(self, document: SeedDocument | None) -> None:
        self._builds += 1
        path = self._folder / f"baseline-{self._builds}.db"
        copy_sqlite_file(str(await self._empty_schema()), str(path))
        built = Database(f"sqlite:///{path}")
        seeded_at = ControllableClock()
        seeded_at.set(self.clock.now_ms(), frozen=True)
        try:
            await self._populate(built, document, seeded_at)
        except BaseException:
            await built.dispose()
            path.unlink(missing_ok=True)
            raise
        await built.dispose()
        previous, self._baseline, self.document = self._baseline, path, document
        self._seeded_at = seeded_at
        if previous is not None:
            previous.unlink(missing_ok=True)

    async def _empty_schema(self) -> Path:
        """A database with the schema and nothing else, migrated once: each seed starts from a
        copy of it (a copy takes a millisecond, migrating a hundred)."""
        path = self._folder / "empty.db"
        if not path.exists():
            empty = Database(f"sqlite:///{path}")
            try:
                await upgrade(empty)
            finally:
                await empty.dispose()
        return path

    async def _populate(
        self, database: Database, document: SeedDocument | None, clock: Clock
    ) -> None:
        """The seed (or the default first start) and the known tokens, in one transaction, at
        ``clock``'s time."""
        async with database.write() as repo:
            transaction = OpenTransaction(repo)
            if document is None:
                await PortalService(transaction, clock).bootstrap_if_empty()
            else:
                await apply_seed(transaction, clock, document)
            await _known_tokens(transaction, clock, self.known_tokens)

    async def _restore(self) -> None:
        assert self._baseline is not None
        if self.database.dialect == "sqlite":
            await self.database.copy_from(str(self._baseline))
            return
        await self.database.drop_everything()
        await upgrade(self.database)
        await self._populate(self.database, self.document, self._seeded_at)

    async def _after_reset(self) -> None:
        for hook in self._hooks:
            result = hook()
            if inspect.isawaitable(result):
                await result


async def check_seed(document: SeedDocument | None, known_tokens: Sequence[str]) -> None:
    """Build a baseline from ``document`` and the known tokens, and throw it away: what the
    services refuse raises here, before a server starts (``serve --seed``)."""
    emulator = Emulator(Database("sqlite://"), ControllableClock(), known_tokens)
    try:
        await emulator._build(document)
    finally:
        emulator.close()
        await emulator.database.dispose()


async def _known_tokens(
    database: Transactions[Repository], clock: Clock, secrets: Sequence[str]
) -> None:
    await TokenService(database, clock).ensure_known(secrets, KNOWN_TOKEN_NAME)
