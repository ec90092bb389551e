"""The in-memory store the service's unit tests run on (tests/support/memory_repository.py)
keeps to the interface the services use and behaves as a transaction does."""

from __future__ import annotations

import inspect

import pytest

from commprefs.domain.preferences import Channel, State, StoredStatus
from commprefs.store.interface import PreferencesRepository, Repository, Transactions
from commprefs.store.repository import SqlRepository
from tests.support.memory_repository import MemoryDatabase, MemoryRepository


def members(protocol: type) -> set[str]:
    return {
        name
        for klass in protocol.__mro__
        if klass not in (object,) and getattr(klass, "_is_protocol", False)
        for name, value in vars(klass).items()
        if callable(value) and not name.startswith("_")
    }


@pytest.mark.parametrize(
    ("protocol", "implementations"),
    [
        (PreferencesRepository, (MemoryRepository,)),
        (Repository, (SqlRepository,)),
        (Transactions, (MemoryDatabase,)),
    ],
)
def test_each_implementation_has_every_method_of_its_interface_as_declared(
    protocol: type, implementations: tuple[type, ...]
) -> None:
    names = members(protocol)
    assert {"definitions", "read"} & names  # the protocol was read
    for implementation in implementations:
        for name in names:
            declared = inspect.signature(getattr(protocol, name))
            implemented = inspect.signature(getattr(implementation, name))
            assert list(implemented.parameters) == list(declared.parameters), (implementation, name)
            for parameter in declared.parameters.values():
                given = implemented.parameters[parameter.name]
                assert given.default == parameter.default, (implementation, name, parameter)


def choice(state: State) -> tuple[str, StoredStatus]:
    return ("a@example.com", StoredStatus(1, state, "Form", None, None, 5))


async def stored(db: MemoryDatabase) -> dict[int, StoredStatus]:
    async with db.read() as repo:
        found = await repo.stored_statuses(1, ["a@example.com"], Channel.EMAIL)
    return found["a@example.com"]


async def write_then_fail(db: MemoryDatabase) -> None:
    async with db.write() as repo:
        await repo.put_statuses(1, Channel.EMAIL, [choice(State.UNSUBSCRIBED)])
        await repo.create_portal("Half", False, 0)
        raise RuntimeError("after the writes")


async def test_a_write_that_fails_leaves_nothing_behind() -> None:
    db = MemoryDatabase()
    async with db.write() as repo:
        await repo.put_statuses(1, Channel.EMAIL, [choice(State.SUBSCRIBED)])
    with pytest.raises(RuntimeError):
        await write_then_fail(db)
    assert (await stored(db))[1].status is State.SUBSCRIBED
    async with db.read() as repo:
        assert await repo.count_portals() == 0


async def test_a_read_sees_what_was_committed_when_it_began() -> None:
    db = MemoryDatabase()
    async with db.read() as before:
        async with db.write() as repo:
            await repo.put_statuses(1, Channel.EMAIL, [choice(State.SUBSCRIBED)])
        assert await before.stored_statuses(1, ["a@example.com"], Channel.EMAIL) == {
            "a@example.com": {}
        }
    assert 1 in await stored(db)
