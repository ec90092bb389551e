"""Erasure of a data subject (GDPR Art. 17), by crypto-shredding.

One transaction: the subscriber's data key is destroyed (its ledger entries stay in place and
verifiable, their personal fields, consent context included, unreadable), its status rows, its
double opt-in confirmations and their mails and the idempotency records whose reply or key holds
its address are deleted, the address is cut out of rejected import rows, its suppression is
recorded by keyed hash, and the ledger records the erasure (when, by whom; ``subscriber.erased``
to the webhooks, with the keyed hash). After the commit, SQLite's write-ahead log is emptied so
that no earlier page holding the address stays in the ``-wal`` file, and in emulator mode the
request journal forgets the requests that named it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from commprefs.domain.clock import Clock
from commprefs.domain.ledger import SOURCE_ERASED, ErasureRecord
from commprefs.domain.preferences import Actor, Channel
from commprefs.domain.subscribers import spellings, subscriber_key
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
        forget_requests: Callable[[Sequence[str]], object] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.forget_log = forget_log
        # Emulator mode: the request journal (emulator/journal.py Journal.forget), else None.
        self.forget_requests = forget_requests

    async def erase(self, actor: Actor, subscriber: str, source: str = SOURCE_ERASED) -> Erasure:
        """Erase ``subscriber`` (any valid spelling of it) from the actor's portal. An address
        never seen is erased all the same: it is suppressed from now on. ``source`` is the
        ledger's for the erasure (the console's names its user; reads say SOURCE_ERASED)."""
        key = subscriber_key(subscriber)
        forms = spellings(subscriber, key)
        async with self.database.write() as repo:
            await require_portal(repo, actor.portal_id)
            await repo.lock_subscribers(actor.portal_id, [key])
            now = self.clock.now_ms()
            subject = await repo.erase_subscriber(actor.portal_id, key, forms, now)
            record = ErasureRecord(
                portal_id=actor.portal_id,
                subject_hash=subject,
                channel=Channel.EMAIL,
                source=source,
                api=actor.api,
                token_id=actor.token_id,
                request_id=actor.request_id,
                created_at=now,
            )
            await repo.append_ledger([record])
        await self.forget_log()
        if self.forget_requests is not None:
            self.forget_requests(forms)
        return Erasure(subject, now)
