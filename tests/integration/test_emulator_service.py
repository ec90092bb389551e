"""The emulator's service on a real SQLite database (issue 15): a reset gives back the database
exactly, every table and row as the seed left them, and calls the hooks registered with it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from commprefs.domain.clock import SystemClock
from commprefs.domain.preferences import Actor, Channel
from commprefs.emulator.clock import ControllableClock
from commprefs.emulator.schemas import SeedDocument
from commprefs.emulator.service import Emulator
from commprefs.preferences.service import PreferencesService
from commprefs.store.database import Database
from commprefs.store.migrate import upgrade
from tests.support.emulator import SEED


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


def test_reset_gives_back_every_row_of_the_seed_and_calls_the_hooks(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    called: list[str] = []

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        database = Database(f"sqlite:///{path}")
        emulator = Emulator(database, ControllableClock(SystemClock()), ["test-token"])

        async def forget() -> None:
            called.append("async")

        emulator.on_reset(lambda: called.append("plain"))
        emulator.on_reset(forget)
        try:
            await upgrade(database)
            await emulator.start(SeedDocument.model_validate(SEED))
            seeded = _dump(path)
            preferences = PreferencesService(database, SystemClock())
            actor = Actor(123456, None, "test", "v4")
            await preferences.unsubscribe_all(actor, "jane@example.com", Channel.EMAIL, None)
            changed = _dump(path)
            await emulator.reset()
            return seeded, changed, _dump(path)
        finally:
            emulator.close()
            await database.dispose()

    seeded, changed, after_reset = asyncio.run(scenario())

    assert changed != seeded
    assert any('INSERT INTO "ledger"' in line for line in seeded)
    assert after_reset == seeded
    assert called == ["plain", "async"]
