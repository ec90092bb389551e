"""Query and path parameters shared by the v4 / 2026-03 operations, with HubSpot's names."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Path, Query, Request

from commprefs.domain.errors import InvalidInput
from commprefs.domain.preferences import Channel

INT64_MAX = 2**63 - 1

SubscriberPath = Annotated[
    str,
    Path(
        alias="subscriberIdString",
        max_length=512,
        description="The subscriber's email address (matched case-insensitively).",
    ),
]
ChannelQuery = Annotated[Channel, Query(alias="channel", description="Must be EMAIL.")]
BusinessUnitQuery = Annotated[
    int | None,
    Query(alias="businessUnitId", ge=0, le=INT64_MAX, description="A business unit (brand)."),
]
IncludeTranslationsQuery = Annotated[
    bool, Query(alias="includeTranslations", description="Add each type's translations.")
]
VerboseQuery = Annotated[bool, Query(alias="verbose", description="Return every affected status.")]


async def no_body(request: Request) -> None:
    """For operations without a body: accept none, an empty one, or any JSON (HubSpot's SDK
    sends ``Content-Type: application/json`` with nothing); refuse bytes that are not JSON."""
    raw = await request.body()
    if not raw.strip():
        return
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput.field(
            "body",
            "Invalid input JSON: this operation takes no body, and the one sent is not JSON.",
            "INVALID_JSON",
        ) from None
