"""The idempotency service's rules (idempotency/service.py) over an in-memory fake of the
repository's key methods (tests/support/fake_keys.py): valid keys, what makes a retry the same
request, claim, replay, conflict, keys per portal, what is kept, time to live and the purge, and
a duplicate in flight. Over HTTP and real databases: tests/integration/test_idempotency.py."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from commprefs.domain.errors import Conflict, InvalidInput
from commprefs.idempotency.service import (
    PURGE_EVERY,
    IdempotencyService,
    NotKept,
    Replay,
    check_key,
    fingerprint,
)
from tests.support.fake_keys import FakeTransactions

TTL_SECONDS = 60
PORTAL = 7
JSON = "application/json"


class SteppedClock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def now_ms(self) -> int:
        return self.now


class Failed(Exception):
    """The operation of a keyed request failed."""


@pytest.fixture
def store() -> FakeTransactions:
    return FakeTransactions()


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def service(store: FakeTransactions, clock: SteppedClock) -> IdempotencyService:
    return IdempotencyService(store, clock, TTL_SECONDS)  # type: ignore[arg-type]


async def run_once(
    service: IdempotencyService,
    key: str,
    request: str = "request",
    status: int = 200,
    body: bytes = b'{"ok":true}',
    portal: int = PORTAL,
) -> None:
    """A keyed request that gets as far as its reply: claims, keeps the reply, commits."""
    async with service.claim(portal, key, request) as transaction:
        assert (transaction.portal_id, transaction.key) == (portal, key)
        await transaction.keep(status, JSON, body)


# -- keys and fingerprints -----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k", "a b", "!" * 255, "".join(map(chr, range(0x21, 0x7F)))])
def test_keys_of_1_to_255_visible_ascii_characters_are_valid(key: str) -> None:
    check_key(key)


@pytest.mark.parametrize(
    "key",
    ["", "k" * 256, " leading", "trailing ", "tab\there", "snow\u2603", "new\nline"],
    ids=["empty", "long", "leading-space", "trailing-space", "tab", "utf8", "newline"],
)
def test_other_keys_are_refused_naming_the_header(key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_key(key)
    assert refused.value.details[0].in_ == "Idempotency-Key"
    assert "1 to 255 visible ASCII characters" in refused.value.message


async def test_a_malformed_key_opens_no_transaction(
    service: IdempotencyService, store: FakeTransactions
) -> None:
    with pytest.raises(InvalidInput):
        await run_once(service, "")
    assert store.writes == 0
    assert store.committed == {}


def test_a_retry_is_the_same_request_only_byte_for_byte() -> None:
    first = fingerprint("POST", b"/p/a@x.example", b"channel=EMAIL", b"{}")
    assert fingerprint("POST", b"/p/a@x.example", b"channel=EMAIL", b"{}") == first
    others = {
        fingerprint("PUT", b"/p/a@x.example", b"channel=EMAIL", b"{}"),
        fingerprint("POST", b"/p/b@x.example", b"channel=EMAIL", b"{}"),
        fingerprint("POST", b"/p/a@x.example", b"channel=EMAIL&verbose=true", b"{}"),
        fingerprint("POST", b"/p/a@x.example", b"channel=EMAIL", b"[]"),
        # The parts are kept apart: moving bytes from one to the next is another request.
        fingerprint("POST", b"/p/a@x.example", b"", b"channel=EMAIL{}"),
    }
    assert first not in others
    assert len(others) == 5


def test_fingerprints_match_those_stored_by_earlier_versions() -> None:
    # Keys claimed before an upgrade keep replaying after it.
    stored = hashlib.sha256(b"POST\0/p\0channel=EMAIL\0{}").hexdigest()
    assert fingerprint("POST", b"/p", b"channel=EMAIL", b"{}") == stored


# -- claim, replay, conflict ---------------------------------------------------------------------


async def test_a_retry_replays_the_kept_reply(service: IdempotencyService) -> None:
    await run_once(service, "k1", body=b'{"first":1}')
    with pytest.raises(Replay) as replayed:
        await run_once(service, "k1", body=b'{"second":2}')
    reply = replayed.value.reply
    assert (reply.status_code, reply.content_type, reply.body) == (200, JSON, b'{"first":1}')


async def test_the_same_key_with_another_request_is_a_conflict_naming_the_header(
    service: IdempotencyService, store: FakeTransactions
) -> None:
    await run_once(service, "k1", request="first")
    before = dict(store.committed)
    with pytest.raises(Conflict) as refused:
        await run_once(service, "k1", request="other")
    assert "already used with a different request" in refused.value.message
    assert refused.value.details[0].in_ == "Idempotency-Key"
    assert refused.value.details[0].code == "KEY_REUSED"
    assert store.committed == before


async def test_keys_belong_to_a_portal(service: IdempotencyService) -> None:
    await run_once(service, "shared", portal=1)
    await run_once(service, "shared", portal=2)  # claimed afresh: no Replay
    with pytest.raises(Replay):
        await run_once(service, "shared", portal=2)


@pytest.mark.parametrize("status", [0, 199, 300, 400, 409, 500])
async def test_only_a_success_is_kept_and_anything_else_rolls_back_the_claim(
    service: IdempotencyService, store: FakeTransactions, status: int
) -> None:
    with pytest.raises(NotKept):
        await run_once(service, "k1", status=status)
    assert store.committed == {}
    await run_once(service, "k1", status=200)  # the retry runs


@pytest.mark.parametrize("status", [200, 201, 204, 207, 299])
async def test_every_2xx_is_kept(service: IdempotencyService, status: int) -> None:
    await run_once(service, "k1", status=status, body=b"")
    with pytest.raises(Replay) as replayed:
        await run_once(service, "k1")
    assert replayed.value.reply.status_code == status


async def test_a_failed_operation_rolls_back_the_claim(
    service: IdempotencyService, store: FakeTransactions
) -> None:
    with pytest.raises(Failed):
        async with service.claim(PORTAL, "k1", "request"):
            raise Failed
    assert store.committed == {}
    await run_once(service, "k1")  # the retry runs


async def test_the_operation_runs_in_the_claims_transaction(
    service: IdempotencyService, store: FakeTransactions
) -> None:
    async with service.claim(PORTAL, "k1", "request") as transaction:
        async with transaction.read() as repo, transaction.snapshot() as same:
            assert repo is same is transaction.repo
        assert store.committed == {}  # nothing is visible before the block ends
        await transaction.keep(200, JSON, b"{}")
    assert store.writes == 1
    assert set(store.committed) == {(PORTAL, "k1")}


# -- time to live and purge ----------------------------------------------------------------------


async def test_a_key_is_kept_for_its_time_to_live_and_then_forgotten(
    service: IdempotencyService, clock: SteppedClock
) -> None:
    await run_once(service, "k1", body=b"first")
    clock.now += TTL_SECONDS * 1000
    with pytest.raises(Replay):
        await run_once(service, "k1")
    clock.now += 1
    await run_once(service, "k1", request="new", body=b"again")  # forgotten: even a new request
    with pytest.raises(Replay) as replayed:
        await run_once(service, "k1", request="new")
    assert replayed.value.reply.body == b"again"


async def test_every_so_many_claims_purge_every_expired_key(
    service: IdempotencyService, store: FakeTransactions, clock: SteppedClock
) -> None:
    await run_once(service, "old", portal=1)  # claim 1
    clock.now += TTL_SECONDS * 1000 + 1
    for n in range(2, PURGE_EVERY):
        await run_once(service, f"k{n}")
    assert (1, "old") in store.committed
    await run_once(service, "last")  # claim PURGE_EVERY
    assert (1, "old") not in store.committed
    assert len(store.committed) == PURGE_EVERY - 1  # every key still within its time to live


# -- a duplicate in flight -----------------------------------------------------------------------


async def run_held(service: IdempotencyService, claimed: asyncio.Event, go: asyncio.Event) -> None:
    async with service.claim(PORTAL, "k1", "request") as transaction:
        claimed.set()
        await go.wait()
        await transaction.keep(200, JSON, b"first")


async def test_a_duplicate_in_flight_waits_for_the_first_and_replays_it(
    service: IdempotencyService,
) -> None:
    claimed, go = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(run_held(service, claimed, go))
    await claimed.wait()
    duplicate = asyncio.create_task(run_once(service, "k1", body=b"second"))
    await asyncio.sleep(0.01)
    assert not duplicate.done()  # waiting on the claim, not refused
    go.set()
    await first
    with pytest.raises(Replay) as replayed:
        await duplicate
    assert replayed.value.reply.body == b"first"


async def test_a_duplicate_in_flight_runs_when_the_first_fails(
    service: IdempotencyService, store: FakeTransactions
) -> None:
    claimed, go = asyncio.Event(), asyncio.Event()

    async def failing() -> None:
        async with service.claim(PORTAL, "k1", "request"):
            claimed.set()
            await go.wait()
            raise Failed

    first = asyncio.create_task(failing())
    await claimed.wait()
    duplicate = asyncio.create_task(run_once(service, "k1", body=b"second"))
    go.set()
    with pytest.raises(Failed):
        await first
    await duplicate
    assert store.committed[(PORTAL, "k1")].body == b"second"
