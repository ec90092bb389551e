"""The emulator's pure rules and in-memory services (issue 15): path globs, which fault takes a
request, the controllable clock, and the journal's ring and redaction."""

from __future__ import annotations

import asyncio

import pytest

from commprefs.auth.service import digest
from commprefs.config import Settings
from commprefs.domain.errors import InvalidInput, NotFound
from commprefs.domain.injected_faults import FaultSpec, checked, default_answer, glob_matches
from commprefs.domain.tokens import TokenRecord
from commprefs.emulator.clock import ControllableClock
from commprefs.emulator.faults import FaultService
from commprefs.emulator.journal import Journal, JournalFilter
from commprefs.services import Services

OPERATIONS = frozenset({"get-/a", "post-/a"})


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/v4/statuses/*", "/v4/statuses/jane@example.com", True),
        ("/v4/statuses/*", "/v4/statuses/jane@example.com/unsubscribe-all", False),
        ("/v4/**", "/v4/statuses/jane@example.com/unsubscribe-all", True),
        ("/v4/statuses/*/unsubscribe-all", "/v4/statuses/a/unsubscribe-all", True),
        ("/v?/definitions", "/v4/definitions", True),
        ("/v?/definitions", "/v/definitions", False),
        ("/a.b", "/aXb", False),  # regular-expression characters are themselves
        ("/a+(b)", "/a+(b)", True),
        ("/exact", "/exact/", False),
    ],
)
def test_path_globs(pattern: str, path: str, matches: bool) -> None:
    assert glob_matches(pattern, path) is matches


def test_a_fault_matches_every_combination_of_its_fields() -> None:
    spec = checked(
        FaultSpec(method="post", path="/a", operation_id="post-/a", status=500), OPERATIONS
    )
    assert spec.method == "POST"
    assert spec.matches("POST", "/a", "post-/a")
    assert not spec.matches("GET", "/a", "post-/a")
    assert not spec.matches("POST", "/b", "post-/a")
    assert not spec.matches("POST", "/a", "get-/a")
    assert FaultSpec(status=500).matches("DELETE", "/anything", None)


def test_a_spec_that_is_not_a_fault_names_its_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        checked(FaultSpec(status=500, operation_id="get-/b"), OPERATIONS)
    assert refused.value.details[0].in_ == "operationId"
    with pytest.raises(InvalidInput) as refused:
        checked(FaultSpec(status=503, headers={"Transfer-Encoding": "chunked"}), OPERATIONS)
    assert refused.value.details[0].in_ == "headers.Transfer-Encoding"


def test_after_and_times_decide_which_requests_a_fault_takes() -> None:
    faults = FaultService()
    first = faults.add(FaultSpec(path="/a", status=500, after=1, times=2), OPERATIONS)
    second = faults.add(FaultSpec(status=503, times=0), OPERATIONS)
    taken = [faults.take("GET", "/a", "get-/a") for _ in range(5)]
    # /a: the first is let through by `first` and taken by `second`, then `first` takes two.
    assert [f.id if f else None for f in taken] == [
        second.id,
        first.id,
        first.id,
        second.id,
        second.id,
    ]
    assert (first.seen, first.hits, first.exhausted) == (3, 2, True)
    assert (second.hits, second.exhausted) == (3, False)
    faults.remove(first.id)
    with pytest.raises(NotFound):
        faults.remove(first.id)
    faults.clear()
    assert not faults.armed
    assert faults.take("GET", "/a", None) is None


def test_default_answers_by_status() -> None:
    assert default_answer(503).category == "SERVICE_UNAVAILABLE"
    assert default_answer(507).category == "INTERNAL_ERROR"
    assert default_answer(418).category == "VALIDATION_ERROR"


class FixedClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def now_ms(self) -> int:
        return self.now


class Elapsed:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def test_the_clock_follows_real_time_until_set_then_runs_on_or_stands_still() -> None:
    real, elapsed = FixedClock(1_000_000), Elapsed()
    clock = ControllableClock(real, elapsed)
    assert clock.now_ms() == 1_000_000
    assert clock.reading().real_time
    clock.set(5_000, frozen=False)
    elapsed.ns += 2_500_000_000  # 2.5 s pass
    assert clock.now_ms() == 7_500
    clock.set(None, frozen=True)
    elapsed.ns += 10**12
    assert clock.now_ms() == 7_500
    assert clock.advance(0.25).now_ms == 7_750
    assert clock.reading().frozen
    clock.follow_real_time()
    real.now = 2_000_000
    assert clock.now_ms() == 2_000_000


def test_advancing_a_real_time_clock_runs_on_from_there() -> None:
    real, elapsed = FixedClock(1_000), Elapsed()
    clock = ControllableClock(real, elapsed)
    reading = clock.advance(60)
    assert (reading.now_ms, reading.frozen, reading.real_time) == (61_000, False, False)
    elapsed.ns += 1_000_000
    assert clock.now_ms() == 61_001
    with pytest.raises(InvalidInput):
        clock.advance(-1)
    with pytest.raises(InvalidInput):
        clock.advance(float("nan"))


class Tokens:
    """Tokens as TokenService.list gives them."""

    def __init__(self, *records: TokenRecord) -> None:
        self.records = list(records)

    async def list(self, portal_id: int | None = None) -> list[TokenRecord]:
        return self.records


CI_TOKEN = TokenRecord(7, 1, "ci", "cpat-abcd", frozenset(), 0, None, digest("cpat-ci-secret"))


def journal(size: int = 3) -> Journal:
    return Journal(size, 8, Tokens(CI_TOKEN))


def test_the_journal_is_a_ring_that_never_keeps_a_credential() -> None:
    ring = journal(size=3)
    for n in range(5):
        entry = ring.open(
            n,
            "GET",
            f"/p/{n}",
            b"",
            [(b"authorization", b"Bearer secret-" + str(n).encode())],
            None,
            f"c{n}",
        )
    page = asyncio.run(ring.read(JournalFilter()))
    assert [e.path for e in page.entries] == ["/p/2", "/p/3", "/p/4"]
    assert (page.capacity, page.dropped) == (3, 2)
    assert entry.headers == []
    assert entry.token_sha256 == digest("secret-4")
    assert "secret-4" not in repr(entry)


def test_journal_bodies_are_kept_up_to_their_limit() -> None:
    ring = journal()
    entry = ring.open(0, "POST", "/p", b"", [], None, "c")
    entry.request_body.add(b"12345")
    entry.request_body.add(b"67890")
    assert (bytes(entry.request_body.data), entry.request_body.truncated) == (b"12345678", True)


def test_the_journal_filters_and_names_tokens() -> None:
    ring, secret = journal(size=10), "cpat-ci-secret"
    for n, method in enumerate(("GET", "POST", "GET")):
        entry = ring.open(
            n * 10,
            method,
            f"/p/{n}",
            b"",
            [(b"authorization", f"Bearer {secret}".encode())],
            f"{method.lower()}-/p",
            "c",
        )
        entry.status = 200 + n
    assert [e.path for e in asyncio.run(ring.read(JournalFilter(method="get"))).entries] == [
        "/p/0",
        "/p/2",
    ]
    assert [e.path for e in asyncio.run(ring.read(JournalFilter(since_ms=10))).entries] == [
        "/p/1",
        "/p/2",
    ]
    assert [e.path for e in asyncio.run(ring.read(JournalFilter(status=201))).entries] == ["/p/1"]
    assert [e.path for e in asyncio.run(ring.read(JournalFilter(limit=2))).entries] == [
        "/p/1",
        "/p/2",
    ]
    assert asyncio.run(ring.read(JournalFilter(limit=0))).entries == []
    page = asyncio.run(ring.read(JournalFilter(path="/p/*", operation="post-/p")))
    assert [e.path for e in page.entries] == ["/p/1"]
    assert page.tokens == {digest(secret): CI_TOKEN}
    ring.clear()
    assert asyncio.run(ring.read(JournalFilter())).entries == []


def test_in_emulator_mode_every_service_follows_the_emulators_clock() -> None:
    services = Services.build(Settings(database_url="sqlite:///:memory:", emulator=True))
    emulator = services.emulator
    assert emulator is not None
    emulator.clock.set(1_000, frozen=True)
    clocks = {id(services.clock), id(services.preferences.clock), id(services.links.clock)}
    assert clocks == {id(emulator.clock)}
    assert services.idempotency.clock is emulator.clock
    emulator.faults.add(FaultSpec(status=500), OPERATIONS)
    emulator.journal.open(0, "GET", "/", b"", [], None, "c")
    emulator.reset_controls()
    assert emulator.clock.reading().real_time
    assert not emulator.faults.armed
    assert asyncio.run(emulator.journal.read(JournalFilter())).entries == []
    asyncio.run(services.close())
    assert Services.build(Settings(database_url="sqlite:///:memory:")).emulator is None
