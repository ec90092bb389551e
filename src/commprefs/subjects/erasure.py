"""Erasure of a data subject (GDPR Art. 17), by crypto-shredding.

One transaction: the subscriber's data key is destroyed (its ledger entries stay in place and
verifiable, their personal fields unreadable), its status rows and the idempotency replies that
hold its address are deleted, its suppression is recorded by keyed hash, and the ledger records
the erasure (when, by whom; ``subscriber.erased`` to the webhooks, with the keyed hash). After
the commit, SQLite's write-ahead log is emptied so that no earlier page holding the address
stays in the ``-wal`` file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson

from commprefs.domain.clock import Clock
from commprefs.domain.ledger import SOURCE_ERASED, ErasureRecord
from commprefs.domain.preferences import Actor, Channel
from commprefs.domain.subscribers import subscriber_key
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Repository, Transactions


@dataclass(frozen=True)
class Erasure:
    """What an erasure answers: never the address, only its keyed hash."""

    subject_hash: str
    erased_at: int


class ErasureService:
    def __init__(
        self,
        database: Transactions[Repository],
        clock: Clock,
        forget_log: Callable[[], Awaitable[None]],
    ) -> None:
        self.database = database
        self.clock = clock
        self.forget_log = forget_log

    async def erase(self, actor: Actor, subscriber: str) -> Erasure:
        """Erase ``subscriber`` (any valid spelling of it) from the actor's portal. An address
        never seen is erased all the same: it is suppressed from now on."""
        key = subscriber_key(subscriber)
        spellings = _spellings(subscriber, key)
        async with self.database.write() as repo:
            await require_portal(repo, actor.portal_id)
            await repo.lock_subscribers(actor.portal_id, [key])
            now = self.clock.now_ms()
            subject = await repo.erase_subscriber(actor.portal_id, key, spellings, now)
            record = ErasureRecord(
                portal_id=actor.portal_id,
                subject_hash=subject,
                channel=Channel.EMAIL,
                source=SOURCE_ERASED,
                api=actor.api,
                token_id=actor.token_id,
                request_id=actor.request_id,
                created_at=now,
            )
            await repo.append_ledger([record])
        await self.forget_log()
        return Erasure(subject, now)


def _spellings(given: str, key: str) -> list[str]:
    """The forms in which the address may sit in a stored reply: as given, as keyed, and as a
    JSON string would hold them."""
    forms = [given, given.strip(), key, given.strip().lower()]
    forms += [orjson.dumps(form).decode()[1:-1] for form in forms]
    return [form for form in dict.fromkeys(forms) if form]
