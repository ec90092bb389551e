"""The console's overview on a seeded data set equals what the API reads, subscriber by
subscriber (SQLite and PostgreSQL); and the sessions' idle timeout, on a clock the test drives."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from commprefs.config import Settings
from commprefs.domain.errors import CommprefsError
from commprefs.domain.preferences import Actor, State, StatusChange
from commprefs.operators.dashboard import DAY_MS, day_name
from commprefs.services import Services
from tests.support.console import PASSWORD, Console, console_user
from tests.support.factories import Factory, email
from tests.support.server import Server
from tests.support.v4 import V4

PREFIX = "/communication-preferences/v4"


def _cells(page: str, row_attribute: str) -> dict[str, list[str]]:
    rows = re.findall(rf'<tr {row_attribute}="(\d+)">(.*?)</tr>', page, re.S)
    return {key: re.findall(r'<td class="n[^"]*">(\d+)</td>', cells) for key, cells in rows}


def test_the_overview_counts_equal_the_apis_reads(server: Server, factory: Factory) -> None:
    tenant = factory.tenant(types=2)
    brand = factory.business_unit(tenant.portal)
    tenant.definitions.append(factory.definition(tenant.portal, business_unit_id=brand.id))
    first, second, branded = tenant.definitions
    people = [email("seed") for _ in range(12)]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        api = V4(http, PREFIX, tenant)
        plan = [
            (0, first.id, "SUBSCRIBED"),
            (1, first.id, "SUBSCRIBED"),
            (2, first.id, "UNSUBSCRIBED"),
            (3, second.id, "SUBSCRIBED"),
            (4, branded.id, "SUBSCRIBED"),
            (5, branded.id, "UNSUBSCRIBED"),
            (6, first.id, "SUBSCRIBED"),
            (6, first.id, "NOT_SPECIFIED"),  # back to no choice
            (7, first.id, "SUBSCRIBED"),
            (8, branded.id, "SUBSCRIBED"),
        ]
        for who, subscription, state in plan:
            assert api.update(people[who], subscription, state).status_code == 200
        assert api.unsubscribe_all(people[7]).status_code == 200  # portal-wide
        assert api.unsubscribe_all(people[8], businessUnitId=brand.id).status_code == 200
        assert api.unsubscribe_all(people[9], businessUnitId=brand.id).status_code == 200
        expected: Counter[tuple[int, str]] = Counter()
        known = 0
        for person in people:
            states = api.states(person)
            if person in people[:10]:
                known += 1
            for subscription, state in states.items():
                expected[subscription, state] += 1
        wide: Counter[int] = Counter()
        type_changes = 0
        for person in people:
            for opt_out in api.wide(person).json()["results"]:
                wide[opt_out["businessUnitId"]] += 1
            history = http.get(
                f"/commprefs/v1/subscribers/{person}/history",
                params={"channel": "EMAIL"},
                headers=tenant.headers,
            ).json()["results"]
            type_changes += sum(1 for entry in history if entry["subscriptionId"] is not None)
        admin = console_user(factory, tenant.portal, "viewer")
        with Console(server.url) as console:
            assert console.log_in(admin).status_code == 303
            page = console.http.get("/console/").text
    assert f"{known} known addresses." in page
    counts = _cells(page, "data-type")
    unknown = len(people) - known  # read NOT_SPECIFIED by the API, but not known addresses
    for definition in tenant.definitions:
        subscribed, unsubscribed, never = map(int, counts[str(definition.id)])
        assert subscribed == expected[definition.id, "SUBSCRIBED"]
        assert unsubscribed == expected[definition.id, "UNSUBSCRIBED"]
        assert never == expected[definition.id, "NOT_SPECIFIED"] - unknown
    brands = {unit: int(cells[0]) for unit, cells in _cells(page, "data-unit").items()}
    assert brands == {str(unit): n for unit, n in wide.items()}
    assert brands == {"0": 1, str(brand.id): 2}
    # Every type change of the ledger today, all of them through the public API.
    assert f'Public status API</th><td class="n">{type_changes}</td>' in page


class Clock:
    """A clock the test moves."""

    def __init__(self, now: int = 1_800_000_000_000) -> None:
        self.now = now

    def now_ms(self) -> int:
        return self.now


@contextmanager
def clocked(server: Server, factory: Factory, clock: Clock, **settings: Any) -> Iterator[Services]:
    """The services on the server's database, on ``clock``, with ``settings``."""
    services = Services.build(Settings(database_url=server.database_url, **settings), clock)
    try:
        yield services
    finally:
        factory.run(services.close())


def test_a_session_ends_after_the_idle_timeout(server: Server, factory: Factory) -> None:
    clock = Clock()
    user = console_user(factory, factory.portal(), "admin")
    with clocked(server, factory, clock, console_idle_minutes=30) as services:
        _, secret = factory.run(services.operators.log_in(user.email, PASSWORD))
        clock.now += 29 * 60_000
        assert factory.run(services.operators.session(secret)) is not None  # used: kept alive
        clock.now += 29 * 60_000
        assert factory.run(services.operators.session(secret)) is not None
        clock.now += 31 * 60_000
        assert factory.run(services.operators.session(secret)) is None
        clock.now -= 31 * 60_000  # ended for good: it was removed, not just refused
        assert factory.run(services.operators.session(secret)) is None


def test_a_session_ends_after_its_lifetime_however_busy(server: Server, factory: Factory) -> None:
    clock = Clock()
    user = console_user(factory, factory.portal(), "viewer")
    with clocked(server, factory, clock, console_session_hours=1) as services:
        _, secret = factory.run(services.operators.log_in(user.email, PASSWORD))
        for _ in range(5):
            clock.now += 10 * 60_000
            assert factory.run(services.operators.session(secret)) is not None
        clock.now += 11 * 60_000
        assert factory.run(services.operators.session(secret)) is None


def test_changes_per_day_count_past_days_once_and_today_live(
    server: Server, factory: Factory
) -> None:
    """Past days come from the day counts, made once; today from the ledger."""

    clock = Clock(1_800_000_000_000 // DAY_MS * DAY_MS + 3_600_000)  # 01:00 UTC of a day
    tenant = factory.tenant(types=1)
    [kind] = tenant.definitions
    actor = Actor(tenant.portal.id, None, "test", "test")

    with clocked(server, factory, clock) as services:

        def change(state: State) -> None:
            factory.run(
                services.preferences.update_status(
                    actor, StatusChange(email("daily"), kind.id, state), source="Day test"
                )
            )

        def days() -> dict[str, tuple[int, int]]:
            overview = factory.run(services.dashboard.overview(tenant.portal.id))
            return {
                d.day: (d.opt_ins, d.opt_outs) for d in overview.days if d.opt_ins or d.opt_outs
            }

        change(State.SUBSCRIBED)
        change(State.UNSUBSCRIBED)
        clock.now += DAY_MS
        change(State.SUBSCRIBED)
        first, second = (day_name(clock.now // DAY_MS - 1), day_name(clock.now // DAY_MS))
        assert days() == {first: (1, 1), second: (1, 0)}
        change(State.SUBSCRIBED)  # today: read live
        assert days() == {first: (1, 1), second: (2, 0)}
        clock.now += DAY_MS  # the day ends: counted once, and the same as before
        assert days() == {first: (1, 1), second: (2, 0)}
        change(State.UNSUBSCRIBED)
        assert days() == {first: (1, 1), second: (2, 0), day_name(clock.now // DAY_MS): (0, 1)}
        clock.now += 100 * DAY_MS  # older than 90 days: no longer shown
        assert days() == {}
        overview = factory.run(services.dashboard.overview(tenant.portal.id))
        assert overview.by_source == []


def test_parallel_failed_logins_all_count_towards_the_lock_out(
    server: Server, factory: Factory
) -> None:
    """Guesses sent at once cannot overwrite each other's count (one statement each)."""
    clock = Clock()
    user = console_user(factory, factory.portal(), "admin")
    settings = {"console_login_max_failures": 50, "console_login_lockout_seconds": 600}
    with clocked(server, factory, clock, **settings) as services:

        async def guess() -> str:
            try:
                await services.operators.log_in(user.email, "a wrong guess, again")
            except CommprefsError as error:
                return type(error).__name__
            return "in"

        async def many() -> list[str]:
            return await asyncio.gather(*(guess() for _ in range(12)))

        assert factory.run(many()) == ["Unauthenticated"] * 12

        async def counted() -> int:
            async with services.database.read() as repo:
                found = await repo.login_failures(user.email)
            assert found is not None
            return found.failures

        assert factory.run(counted()) == 12
        clock.now += 601_000  # the window is over: counting starts again
        assert factory.run(guess()) == "Unauthenticated"
        assert factory.run(counted()) == 1


def test_two_users_created_at_once_with_one_address_one_is_refused(factory: Factory) -> None:
    portal = factory.portal()
    address = email("twice")
    operators = factory.services.operators

    async def create() -> str:
        try:
            await operators.create_user(portal.id, address, "viewer", PASSWORD)
        except CommprefsError as error:
            return type(error).__name__
        return "created"

    async def both() -> list[str]:
        return await asyncio.gather(create(), create())

    assert sorted(factory.run(both())) == ["Conflict", "created"]
