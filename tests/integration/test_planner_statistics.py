"""PostgreSQL plans a batch's lookups from table statistics; a database filled through the API
gets them while it grows, not only when autovacuum comes by (store/postgres.py)."""

from __future__ import annotations

import asyncio

import psycopg

from commprefs.config import Settings
from commprefs.domain.preferences import Actor, State, StatusChange
from commprefs.domain.tokens import ALL_SCOPES
from commprefs.services import Services
from commprefs.store.migrate import upgrade
from tests.support.databases import postgres_database


async def _write_statuses(url: str, subscribers: int) -> None:
    services = Services.build(Settings(database_url=url))
    try:
        await upgrade(services.database)
        portal = await services.portals.create_portal("statistics")
        definition = await services.portals.create_definition(portal.id, "News", "d")
        await services.tokens.create(portal.id, ALL_SCOPES)
        actor = Actor(portal.id, None, "test", "v4")
        for first in range(0, subscribers, 100):
            changes = [
                StatusChange(f"s{n}@statistics.example", definition.id, State.SUBSCRIBED)
                for n in range(first, first + 100)
            ]
            outcome = await services.preferences.update_statuses(actor, changes)
            assert not outcome.errors
    finally:
        await services.database.dispose()  # waits for a statistics refresh under way


def _statistics(url: str) -> tuple[float, bool]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT c.reltuples, s.last_analyze IS NOT NULL FROM pg_class c "
            "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = %s",
            ("subscription_statuses",),
        ).fetchone()
    assert row is not None
    return float(row[0]), bool(row[1])


def test_statuses_written_through_the_service_refresh_the_planners_statistics() -> None:
    with postgres_database() as url:
        asyncio.run(_write_statuses(url, 2_500))
        rows, analyzed = _statistics(url)
    # Analyzed by the service itself (last_analyze; autovacuum's would be last_autoanalyze),
    # and the planner now knows the table holds thousands of rows, not none.
    assert analyzed
    assert rows >= 1_000
