"""HubSpot's v4 / 2026-03 wire shapes (reference §3), with HubSpot's schema names.

The models document the API in ``/openapi.json``; responses are rendered straight to dicts,
which is what the models describe: by the ``render_*`` functions here (the envelope, batch
errors) and, for the values the CLI prints too, by ``domain/bodies.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr

from commprefs.api.params import INT64_MAX
from commprefs.domain.clock import iso_ms
from commprefs.domain.errors import CommprefsError
from commprefs.domain.preferences import (
    Channel,
    LegalBasis,
    Reason,
    State,
    WideType,
)


def values_of(enum: type[StrEnum]) -> Any:
    """A Literal of a domain enum's values: what a wire field takes, derived from the domain. A
    Literal rather than the enum itself, so that the documents (inline enums, HubSpot's schema
    names) and the validation errors stay what they are."""
    return Literal[tuple(member.value for member in enum)]


if TYPE_CHECKING:  # mypy cannot read a Literal built at run time; each holds strings
    ChannelValue = str
    StatusValue = str
    LegalBasisValue = str
    ReasonValue = str
    WideTypeValue = str
else:
    ChannelValue = values_of(Channel)
    StatusValue = values_of(State)
    LegalBasisValue = values_of(LegalBasis)
    ReasonValue = values_of(Reason)
    WideTypeValue = values_of(WideType)

EnvelopeStatus = Literal["PENDING", "PROCESSING", "CANCELED", "COMPLETE"]


class ErrorDetail(BaseModel):
    message: str
    code: str | None = None
    in_: str | None = Field(default=None, alias="in")
    subCategory: str | None = None  # noqa: N815 - HubSpot's wire name
    context: dict[str, list[str]] | None = None


class Error(BaseModel):
    """HubSpot's error body; ``status`` is always ``"error"``."""

    status: Literal["error"] = "error"
    message: str
    correlationId: str  # noqa: N815
    category: str
    subCategory: str | None = None  # noqa: N815
    errors: list[ErrorDetail] | None = None
    context: dict[str, list[str]] | None = None
    links: dict[str, str] | None = None


class StandardError(BaseModel):
    status: str
    category: str
    message: str
    errors: list[ErrorDetail]
    context: dict[str, list[str]]
    links: dict[str, str]
    id: str | None = None
    subCategory: dict[str, Any] | None = None  # noqa: N815


class _Envelope(BaseModel):
    status: EnvelopeStatus
    startedAt: datetime  # noqa: N815
    completedAt: datetime  # noqa: N815
    requestedAt: datetime | None = None  # noqa: N815
    links: dict[str, str] | None = None


class _WithErrors(BaseModel):
    errors: list[StandardError] | None = None
    numErrors: int | None = None  # noqa: N815


class PublicStatus(BaseModel):
    channel: ChannelValue
    source: str
    status: StatusValue
    subscriberIdString: str  # noqa: N815
    subscriptionId: int  # noqa: N815
    timestamp: datetime
    businessUnitId: int | None = None  # noqa: N815
    legalBasis: LegalBasisValue | None = None  # noqa: N815
    legalBasisExplanation: str | None = None  # noqa: N815
    setStatusSuccessReason: ReasonValue | None = None  # noqa: N815
    subscriptionName: str | None = None  # noqa: N815


class ActionResponseWithResultsPublicStatus(_Envelope, _WithErrors):
    results: list[PublicStatus]


def render_envelope(
    results: list[dict[str, Any]], requested_at: int, started_at: int, completed_at: int
) -> dict[str, Any]:
    return {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso_ms(started_at),
        "completedAt": iso_ms(completed_at),
        "requestedAt": iso_ms(requested_at),
    }


class PublicSubscriptionTranslation(BaseModel):
    createdAt: int  # noqa: N815 - epoch milliseconds, as HubSpot sends them
    description: str
    languageCode: str  # noqa: N815
    name: str
    subscriptionId: int  # noqa: N815
    updatedAt: int  # noqa: N815


class SubscriptionDefinition(BaseModel):
    id: str
    name: str
    description: str
    isActive: bool  # noqa: N815
    isDefault: bool  # noqa: N815
    isInternal: bool  # noqa: N815
    createdAt: datetime  # noqa: N815
    updatedAt: datetime  # noqa: N815
    businessUnitId: int | None = None  # noqa: N815
    communicationMethod: str | None = None  # noqa: N815
    purpose: str | None = None
    subscriptionTranslations: list[PublicSubscriptionTranslation] | None = None  # noqa: N815


class ActionResponseWithResultsSubscriptionDefinition(_Envelope, _WithErrors):
    results: list[SubscriptionDefinition]


class PublicWideStatus(BaseModel):
    channel: ChannelValue
    status: StatusValue
    subscriberIdString: str  # noqa: N815
    timestamp: datetime
    wideStatusType: WideTypeValue  # noqa: N815
    businessUnitId: int | None = None  # noqa: N815


class ActionResponseWithResultsPublicWideStatus(_Envelope, _WithErrors):
    results: list[PublicWideStatus]


class PartialPublicStatusRequest(BaseModel):
    channel: ChannelValue
    statusState: StatusValue  # noqa: N815
    subscriptionId: StrictInt = Field(ge=0, le=INT64_MAX)  # noqa: N815
    legalBasis: LegalBasisValue | None = None  # noqa: N815
    legalBasisExplanation: StrictStr | None = Field(default=None, max_length=2000)  # noqa: N815


class PublicStatusRequest(PartialPublicStatusRequest):
    subscriberIdString: StrictStr = Field(max_length=512)  # noqa: N815


class BatchInputPublicStatusRequest(BaseModel):
    inputs: list[PublicStatusRequest]


class BatchInputString(BaseModel):
    inputs: list[Annotated[StrictStr, Field(max_length=512)]]


class PublicStatusBulkResponse(BaseModel):
    subscriberIdString: str  # noqa: N815
    statuses: list[PublicStatus]


class PublicWideStatusBulkResponse(BaseModel):
    subscriberIdString: str  # noqa: N815
    wideStatuses: list[PublicWideStatus]  # noqa: N815


class PublicBulkOptOutFromAllResponse(BaseModel):
    subscriberIdString: str  # noqa: N815
    statuses: list[PublicStatus] | None = None


class BatchResponsePublicStatus(_Envelope, _WithErrors):
    results: list[PublicStatus]


class BatchResponsePublicBulkOptOutFromAllResponse(_Envelope, _WithErrors):
    results: list[PublicBulkOptOutFromAllResponse]


# The 200 bulk reads carry errors / numErrors as optional fields: the 2025-09 and 2026-09 schemas of
# the same name declare them (those versions answer partial failures with a 200, batch.py).
class BatchResponsePublicStatusBulkResponse(_Envelope, _WithErrors):
    results: list[PublicStatusBulkResponse]


class BatchResponsePublicStatusBulkResponseWithErrors(_Envelope, _WithErrors):
    results: list[PublicStatusBulkResponse]


class BatchResponsePublicWideStatusBulkResponse(_Envelope, _WithErrors):
    results: list[PublicWideStatusBulkResponse]


class BatchResponsePublicWideStatusBulkResponseWithErrors(_Envelope, _WithErrors):
    results: list[PublicWideStatusBulkResponse]


def render_batch_errors(
    errors: list[tuple[int, CommprefsError]], inputs: Sequence[object]
) -> dict[str, Any]:
    """Per-input failures as StandardError items, ``in`` naming ``inputs[i]…``."""
    rendered = []
    for index, error in errors:
        details = [
            {
                "message": d.message,
                "in": f"inputs[{index}]"
                + (f".{d.in_}" if d.in_ and isinstance(inputs[index], dict) else ""),
                **({"code": d.code} if d.code else {}),
            }
            for d in error.details
        ] or [{"message": error.message, "in": f"inputs[{index}]"}]
        subject = inputs[index]
        shown = subject.get("subscriberIdString") if isinstance(subject, dict) else subject
        rendered.append(
            {
                "status": "error",
                "category": error.category,
                "message": error.message,
                "errors": details,
                "context": {"subscriberIdString": [str(shown)]},
                "links": {},
            }
        )
    return {"errors": rendered, "numErrors": len(rendered)}
