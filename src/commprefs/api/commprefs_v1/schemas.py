"""Wire shapes of the ledger API (``/commprefs/v1``): camelCase like HubSpot's, ISO times.

The models document the API in ``/openapi.json``; ``domain/bodies.py`` renders what they describe
(``commprefs history --json`` prints the same).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from commprefs.api.v4.schemas import (
    ChannelValue,
    PublicStatus,
    PublicWideStatus,
    StatusValue,
    WideTypeValue,
)


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
    context: dict[str, Any] | None = Field(
        default=None,
        description=(
            "The consent context: via (api, pages, import, confirmation, console) and, as "
            "applicable, tokenId, tokenName, userId and user (a console user's id and address), "
            "ip, userAgent, page, form, linkId, language, importId, fileName, actor, and a double "
            "opt-in's proof. Null on entries recorded before it."
        ),
    )


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
