"""The repository the services depend on: one Protocol per concern, ``Repository`` for all of
them, and ``Transactions``, what hands a repository out inside a transaction.

Services type against these only. store/repository.py's SqlRepository implements them on SQL
(store/database.py's Database is the Transactions); tests/support/memory_repository.py implements
``PreferencesRepository`` in memory for the preference rules' unit tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from commprefs.domain.branding import Branding
from commprefs.domain.ledger import ErasureRecord, HistoryEntry
from commprefs.domain.links import SigningKey
from commprefs.domain.preferences import (
    BusinessUnit,
    Channel,
    Definition,
    LedgerEntry,
    Portal,
    StoredStatus,
    Translation,
    WideStatus,
)
from commprefs.domain.tokens import TokenRecord
from commprefs.domain.webhooks import Rewind, Webhook
from commprefs.store.admin_interface import Administration, Dashboard, Operators
from commprefs.store.oauth_interface import OAuthStore
from commprefs.store.subject_interface import AccessRequests, Confirmations


class Tenants(Protocol):
    """Portals, business units and their branding, subscription types and their translations."""

    async def create_portal(
        self, name: str, gdpr: bool, now: int, portal_id: int | None = None
    ) -> Portal:
        """``portal_id`` None: the next free id."""

    async def get_portal(self, portal_id: int) -> Portal | None: ...

    async def count_portals(self) -> int: ...

    async def list_portals(self) -> list[Portal]:
        """By id."""

    async def create_business_unit(
        self, portal_id: int, name: str, now: int, unit_id: int | None = None
    ) -> BusinessUnit:
        """``unit_id`` None: the portal's highest id plus one."""

    async def get_business_unit(self, portal_id: int, unit_id: int) -> BusinessUnit | None: ...

    async def business_units(self, portal_id: int) -> list[BusinessUnit]:
        """By id."""

    async def create_definition(self, **values: Any) -> Definition | None:
        """A type from its columns (``id`` among them, or the next free id); None when its name
        (or that id) is taken in that business unit."""

    async def create_definition_unchecked(self, **values: Any) -> Definition: ...

    async def definitions(
        self, portal_id: int, business_unit_id: int | None = None, active_only: bool = False
    ) -> list[Definition]:
        """By id."""

    async def get_definition(self, portal_id: int, definition_id: int) -> Definition | None: ...

    async def translations(self, definition_ids: Sequence[int]) -> dict[int, list[Translation]]:
        """Every id asked for, each with its translations by language code."""

    async def put_translation(
        self, definition_id: int, language_code: str, name: str, description: str, now: int
    ) -> Translation: ...

    async def branding(self, portal_id: int, unit_id: int) -> Branding | None: ...

    async def set_branding(self, portal_id: int, unit_id: int, values: dict[str, Any]) -> bool:
        """Set ``brand_*`` fields of one business unit; False when it does not exist."""


class Tokens(Protocol):
    """API tokens, stored as the SHA-256 of their secret."""

    async def create_token(
        self,
        portal_id: int | None,
        name: str,
        secret_sha256: str,
        hint: str,
        scopes: Iterable[str],
        now: int,
    ) -> TokenRecord: ...

    async def token_by_digest(self, secret_sha256: str) -> TokenRecord | None: ...

    async def list_tokens(self, portal_id: int | None = None) -> list[TokenRecord]: ...

    async def revoke_token(self, token_id: int, now: int) -> bool:
        """False when there is no such token or it is revoked already."""


class SigningKeys(Protocol):
    """The keys that sign preference-page links."""

    async def signing_keys(self) -> list[SigningKey]: ...

    async def add_signing_key(self, secret: str, now: int) -> None: ...

    async def retire_signing_keys(self, now: int) -> None: ...


class Statuses(Protocol):
    """Subscribers' choices per type, and their wide (all-email) statuses."""

    async def lock_subscribers(self, portal_id: int, subscribers: Iterable[str]) -> None:
        """Make concurrent writers to the same subscribers take turns until the transaction
        ends (no deadlock between two batches)."""

    async def stored_statuses(
        self, portal_id: int, subscribers: Sequence[str], channel: Channel
    ) -> dict[str, dict[int, StoredStatus]]:
        """Every subscriber asked for, each with its stored choices by subscription id."""

    async def wide_statuses(
        self, portal_id: int, subscribers: Sequence[str], channel: Channel
    ) -> dict[str, list[WideStatus]]:
        """Every subscriber asked for, each with its wide statuses: portal-wide first, then by
        business unit."""

    async def put_statuses(
        self, portal_id: int, channel: Channel, changes: Sequence[tuple[str, StoredStatus]]
    ) -> None:
        """Insert or replace (subscriber, choice) rows."""

    async def put_wide_statuses(self, portal_id: int, changes: Sequence[WideStatus]) -> None:
        """Insert or replace wide statuses."""


class Erasures(Protocol):
    """Suppressions of erased addresses, by keyed hash (store/subject_queries.py)."""

    async def erased(self, portal_id: int, subscribers: Sequence[str]) -> dict[str, int]:
        """The subscribers among these that were erased and not subscribed since: when."""

    async def lift_erasures(self, portal_id: int, subscribers: Sequence[str]) -> None:
        """New explicit consent: the suppressions of these subscribers end."""


class Subjects(Erasures, Protocol):
    """Erasure itself, and the subscribers' data keys."""

    async def erase_subscriber(
        self, portal_id: int, subscriber: str, spellings: Sequence[str], now: int
    ) -> str:
        """Destroy the data key, status rows and idempotency replies holding the address (in
        any of ``spellings``), and suppress it; its keyed hash."""

    async def portal_keys(self, portal_id: int) -> dict[int, bytes]:
        """Every living data key of the portal, by id."""


class LedgerAppends(Protocol):
    """The one way into the consent ledger."""

    async def append_ledger(self, entries: Sequence[LedgerEntry | ErasureRecord]) -> None:
        """Append to the portals' hash chains, in order; entries are never updated or deleted.
        Call it last in a transaction (it takes each portal's chain lock)."""


class LedgerReads(Protocol):
    """The ledger read back: histories and the chains themselves."""

    async def ledger_for(self, portal_id: int, subscriber: str) -> list[dict[str, Any]]:
        """A subscriber's ledger rows under its living key, oldest first, fields opened."""

    async def chain_head(self, portal_id: int) -> tuple[int, str]:
        """The seq and hash of a portal's newest entry; (0, GENESIS) for an empty chain."""

    async def acknowledged_head(self, portal_id: int) -> int:
        """The highest seq any of the portal's webhooks has had acknowledged (0 if none)."""

    async def ledger_portals(self) -> list[int]:
        """Every portal with at least one ledger entry or a webhook that has seen one."""

    def chain_rows(self, portal_id: int) -> AsyncIterator[dict[str, Any]]:
        """A portal's ledger rows in chain order, streamed."""

    async def history(
        self,
        portal_id: int,
        subscriber: str,
        channel: Channel,
        after_seq: int = 0,
        limit: int | None = None,
        recorded_until: int | None = None,
    ) -> list[HistoryEntry]:
        """A subscriber's entries in chain order, with type and token names."""

    async def timeline(
        self,
        portal_id: int,
        before_seq: int | None,
        limit: int,
        recorded_from: int | None = None,
        recorded_until: int | None = None,
    ) -> list[HistoryEntry]:
        """Up to ``limit`` of a portal's entries below ``before_seq`` (all when None), newest
        first, recorded within the bounds given (inclusive); without type and token names."""


class Webhooks(Protocol):
    """Webhooks, their delivery leases and cursors, and the events they send."""

    async def create_webhook(
        self, portal_id: int, url: str, secret: str, delivered_seq: int, now: int
    ) -> Webhook: ...

    async def list_webhooks(self, portal_id: int | None = None) -> list[tuple[Webhook, int]]:
        """Each webhook with the number of its portal's events it has yet to acknowledge."""

    async def delete_webhook(self, webhook_id: int) -> bool: ...

    async def due_webhooks(self, now: int, limit: int, skip: list[int]) -> list[int]:
        """Unclaimed webhooks whose retry time has come and that have events to send."""

    async def claim_webhook(
        self, webhook_id: int, owner: str, now: int, lease_until: int
    ) -> Webhook | None:
        """Take the lease of a webhook if nobody holds it; the webhook, or None."""

    async def entries_after(self, portal_id: int, seq: int, limit: int) -> list[dict[str, Any]]:
        """The portal's ledger rows (column name → value) after ``seq``, in seq order."""

    async def record_delivery(
        self, webhook: Webhook, owner: str, values: dict[str, Any]
    ) -> Webhook | None:
        """Update a claimed webhook's delivery state unless its cursor moved meanwhile or it
        was removed or lost; the new state, or None."""

    async def release_webhooks(self, owner: str, webhook_id: int | None = None) -> None: ...

    async def first_event_since(self, portal_id: int, since: int) -> int | None:
        """The lowest seq of the portal's events recorded at or after ``since``."""

    async def rewind_webhooks(
        self, portal_id: int, to_seq: int, now: int, webhook_id: int | None = None
    ) -> list[Rewind]:
        """Move cursors back to ``to_seq`` (never forward) so that later events are sent again."""


class Exports(Protocol):
    """Bulk reads for exports, streamed row by row (rows with the tables' column names)."""

    def stored_choices(self, portal_id: int, channel: Channel) -> AsyncIterator[Any]:
        """Every chosen status per type (not NOT_SPECIFIED), with the type's name and brand."""

    def active_opt_outs(self, portal_id: int, channel: Channel) -> AsyncIterator[Any]:
        """Every opt-out of all email in force: portal-wide ones first, then by brand."""

    def suppressed(
        self,
        portal_id: int,
        channel: Channel,
        business_unit_id: int | None,
        subscription_id: int | None,
    ) -> AsyncIterator[Any]:
        """Who must not be sent email, by subscriber, the widest reason first."""


@dataclass(frozen=True)
class IdempotentReply:
    """What an earlier request with the same Idempotency-Key was and got."""

    fingerprint: str
    status_code: int | None
    content_type: str | None
    body: bytes | None


class IdempotencyKeys(Protocol):
    """Idempotency-Keys and the replies they replay."""

    async def claim_idempotency_key(
        self, portal_id: int, key: str, fingerprint: str, now: int, expired_before: int
    ) -> IdempotentReply | None:
        """Claim ``key`` in this transaction: None when it is ours, else what holds it (a
        concurrent claim waits until the holder's transaction ends)."""

    async def record_idempotent_reply(
        self, portal_id: int, key: str, status_code: int, content_type: str, body: bytes
    ) -> None: ...

    async def purge_idempotency_keys(self, expired_before: int) -> None: ...


class PreferencesRepository(Tenants, Statuses, Erasures, LedgerAppends, Protocol):
    """What the preference rules (preferences/) need of the store."""


class Repository(
    Tenants,
    Tokens,
    SigningKeys,
    Statuses,
    LedgerAppends,
    LedgerReads,
    Webhooks,
    Exports,
    IdempotencyKeys,
    OAuthStore,
    Administration,
    Confirmations,
    Subjects,
    AccessRequests,
    Operators,
    Dashboard,
    Protocol,
):
    """Everything the store keeps, for one transaction."""


R_co = TypeVar("R_co", covariant=True)


class Transactions(Protocol[R_co]):
    """Hands out a repository inside a transaction for the length of an ``async with``."""

    def read(self) -> AbstractAsyncContextManager[R_co]:
        """A read: sees what was committed."""

    def write(self) -> AbstractAsyncContextManager[R_co]:
        """A write: committed when the block ends, rolled back on any error."""

    def snapshot(self) -> AbstractAsyncContextManager[R_co]:
        """A read whose statements all see one snapshot (exports, ledger reads)."""
