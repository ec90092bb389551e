"""HubSpot's v4 / 2026-03 wire shapes (reference §3), with HubSpot's schema names.

The models document the API in ``/openapi.json``; responses are rendered by the ``render_*``
functions straight to dicts, which is what the models describe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from commprefs.clock import iso_ms
from commprefs.preferences.models import Definition, Status

StatusValue = Literal["SUBSCRIBED", "UNSUBSCRIBED", "NOT_SPECIFIED"]
LegalBasisValue = Literal[
    "CONSENT_WITH_NOTICE",
    "LEGITIMATE_INTEREST_CLIENT",
    "LEGITIMATE_INTEREST_OTHER",
    "LEGITIMATE_INTEREST_PQL",
    "NON_GDPR",
    "PERFORMANCE_OF_CONTRACT",
    "PROCESS_AND_STORE",
]
ReasonValue = Literal[
    "NO_STATUS_CHANGE",
    "REQUESTED_CHANGE_OCCURRED",
    "RESUBSCRIBE_OCCURRED",
    "UNSUBSCRIBE_FROM_ALL_OCCURRED",
]
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


class PublicStatus(BaseModel):
    channel: Literal["EMAIL"]
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


class ActionResponseWithResultsPublicStatus(BaseModel):
    status: EnvelopeStatus
    results: list[PublicStatus]
    startedAt: datetime  # noqa: N815
    completedAt: datetime  # noqa: N815
    requestedAt: datetime | None = None  # noqa: N815
    links: dict[str, str] | None = None
    errors: list[StandardError] | None = None
    numErrors: int | None = None  # noqa: N815


def render_status(status: Status) -> dict[str, Any]:
    return {
        "channel": status.channel.value,
        "source": status.source,
        "status": status.status.value,
        "subscriberIdString": status.subscriber,
        "subscriptionId": status.definition.id,
        "timestamp": iso_ms(status.timestamp),
        "businessUnitId": status.definition.business_unit_id,
        "legalBasis": status.legal_basis,
        "legalBasisExplanation": status.legal_basis_explanation,
        "setStatusSuccessReason": status.reason.value if status.reason else None,
        "subscriptionName": status.definition.name,
    }


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


def render_definition(definition: Definition) -> dict[str, Any]:
    return {
        "id": str(definition.id),
        "name": definition.name,
        "description": definition.description,
        "isActive": definition.is_active,
        "isDefault": definition.is_default,
        "isInternal": definition.is_internal,
        "createdAt": iso_ms(definition.created_at),
        "updatedAt": iso_ms(definition.updated_at),
        "businessUnitId": definition.business_unit_id,
        "communicationMethod": definition.communication_method,
        "purpose": definition.purpose,
    }
