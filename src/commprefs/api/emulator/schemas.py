"""The wire shapes of the emulator's journal, faults and clock (issue 15), as the control API's
own OpenAPI document (/_commprefs/openapi.json) describes them. Requests are validated by these
models (unknown fields are a 400 naming them); responses are rendered straight to dicts that
these models describe."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from commprefs.domain.injected_faults import MAX_COUNT as _MAX_COUNT
from commprefs.domain.injected_faults import MAX_DELAY_MS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultRequest(_Strict):
    """A fault: what it matches (any combination; none matches every request) and how it
    answers."""

    method: StrictStr | None = Field(default=None, description="GET, POST, …")
    path: StrictStr | None = Field(
        default=None,
        max_length=2048,
        description="A glob of the request path: * within a segment, ** across, ? one character.",
        examples=["/communication-preferences/v4/statuses/*/unsubscribe-all"],
    )
    operationId: StrictStr | None = Field(  # noqa: N815 - the wire name
        default=None,
        max_length=512,
        description="An operationId of the served API document (/openapi.json).",
    )
    status: StrictInt | None = Field(
        default=None,
        ge=400,
        le=599,
        description="400 to 599; without it, delayMs serves the request late.",
    )
    body: Any = Field(
        default=None,
        description="The JSON body (default: HubSpot's error body for the status; null: none).",
    )
    headers: dict[StrictStr, StrictStr] = Field(
        default_factory=dict, description="Response headers, over the status's defaults."
    )
    delayMs: StrictInt = Field(  # noqa: N815 - the wire name
        default=0, ge=0, le=MAX_DELAY_MS, description="Wait this long first (ms)."
    )
    times: StrictInt = Field(
        default=1, ge=0, le=_MAX_COUNT, description="How many requests it answers; 0: unlimited."
    )
    after: StrictInt = Field(
        default=0, ge=0, le=_MAX_COUNT, description="Let this many matching requests through first."
    )


class Fault(FaultRequest):
    id: int
    seen: int = Field(description="Matching requests offered to it.")
    hits: int = Field(description="Requests it answered (or delayed).")
    active: bool = Field(description="False once it has answered `times` requests.")


class Faults(BaseModel):
    results: list[Fault]


class FaultCreated(BaseModel):
    id: int


class ClockSetting(_Strict):
    now: StrictStr | None = Field(
        default=None,
        description="ISO-8601 or epoch ms; default: where the clock is now.",
        examples=["2026-01-01T00:00:00Z"],
    )
    frozen: StrictBool = Field(
        default=False, description="Stand still (true) or run on from `now`."
    )


class ClockAdvance(_Strict):
    seconds: float = Field(
        ge=0, le=1e13, strict=True, allow_inf_nan=False, description="How far forward."
    )


class ClockReading(BaseModel):
    now: str = Field(description="The clock's time (UTC, milliseconds, Z).")
    nowMs: int  # noqa: N815 - the wire name
    frozen: bool
    realTime: bool = Field(description="Following the system's clock: nobody has set it.")  # noqa: N815


class TokenNamed(BaseModel):
    id: int
    name: str


class JournalEntry(BaseModel):
    id: int
    receivedAt: str  # noqa: N815
    method: str
    path: str
    query: dict[str, str | list[str]]
    headers: dict[str, str] = Field(
        description="As received; Authorization's value is the token's id and name instead."
    )
    token: TokenNamed | None
    requestBody: Any = Field(description="Parsed when JSON, else text; null when empty.")  # noqa: N815
    requestBodyTruncated: bool  # noqa: N815
    status: int | None = Field(description="null while the request is in flight.")
    responseHeaders: dict[str, str]  # noqa: N815
    responseBody: Any  # noqa: N815
    responseBodyTruncated: bool  # noqa: N815
    durationMs: float | None  # noqa: N815
    operation: str | None = Field(description="The served API document's operationId.")
    correlationId: str  # noqa: N815
    fault: int | None = Field(description="The id of the injected fault that answered it.")


class Journal(BaseModel):
    results: list[JournalEntry]
    capacity: int = Field(description="COMMPREFS_JOURNAL_SIZE: the ring keeps this many.")
    dropped: int = Field(description="Entries let go to keep within it, since the last clear.")
