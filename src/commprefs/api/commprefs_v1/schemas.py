"""Wire shapes of the ledger API (``/commprefs/v1``): camelCase like HubSpot's, ISO times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from commprefs.api.v4.schemas import (
    ChannelValue,
    PublicStatus,
    PublicWideStatus,
    StatusValue,
    WideTypeValue,
    render_wide,
)
from commprefs.api.v4.statuses import render_status
from commprefs.domain.clock import iso_ms
from commprefs.domain.ledger import HistoryEntry, HistoryPage, StateAsOf


class LedgerEntry(BaseModel):
    """One recorded change. Exactly one of ``subscriptionId`` and ``wideStatusType`` is set."""

    sequence: int
    recordedAt: datetime  # noqa: N815 - camelCase wire names, as HubSpot's
    occurredAt: datetime  # noqa: N815
    subscriberIdString: str  # noqa: N815
    channel: ChannelValue
    subscriptionId: int | None  # noqa: N815
    subscriptionName: str | None  # noqa: N815
    wideStatusType: WideTypeValue | None  # noqa: N815
    businessUnitId: int | None  # noqa: N815
    oldStatus: StatusValue  # noqa: N815
    newStatus: StatusValue  # noqa: N815
    legalBasis: str | None  # noqa: N815
    legalBasisExplanation: str | None  # noqa: N815
    source: str
    api: str
    tokenId: int | None  # noqa: N815
    tokenName: str | None  # noqa: N815
    requestId: str  # noqa: N815
    hash: str


class NextPage(BaseModel):
    after: str


class Paging(BaseModel):
    next: NextPage | None = None


class History(BaseModel):
    subscriberIdString: str  # noqa: N815
    results: list[LedgerEntry]
    paging: Paging | None = None


class SubscriberState(BaseModel):
    subscriberIdString: str  # noqa: N815
    channel: ChannelValue
    asOf: datetime  # noqa: N815
    statuses: list[PublicStatus]
    wideStatuses: list[PublicWideStatus]  # noqa: N815


def render_entry(entry: HistoryEntry) -> dict[str, Any]:
    occurred = entry.occurred_at if entry.occurred_at is not None else entry.created_at
    return {
        "sequence": entry.seq,
        "recordedAt": iso_ms(entry.created_at),
        "occurredAt": iso_ms(occurred),
        "subscriberIdString": entry.subscriber,
        "channel": entry.channel.value,
        "subscriptionId": entry.subscription_id,
        "subscriptionName": entry.subscription_name,
        "wideStatusType": entry.wide_type.value if entry.wide_type else None,
        "businessUnitId": entry.business_unit_id,
        "oldStatus": entry.old_status.value,
        "newStatus": entry.new_status.value,
        "legalBasis": entry.legal_basis,
        "legalBasisExplanation": entry.legal_basis_explanation,
        "source": entry.source,
        "api": entry.api,
        "tokenId": entry.token_id,
        "tokenName": entry.token_name,
        "requestId": entry.request_id,
        "hash": entry.hash,
    }


def render_history(page: HistoryPage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subscriberIdString": page.subscriber,
        "results": [render_entry(e) for e in page.entries],
    }
    if page.next_after is not None:
        body["paging"] = {"next": {"after": str(page.next_after)}}
    return body


def render_state(state: StateAsOf) -> dict[str, Any]:
    return {
        "subscriberIdString": state.subscriber,
        "channel": state.channel.value,
        "asOf": iso_ms(state.as_of),
        "statuses": [render_status(s) for s in state.statuses],
        "wideStatuses": [render_wide(w) for w in state.wide_statuses],
    }
