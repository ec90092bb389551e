"""Wire shapes of double opt-in and access requests under ``/commprefs/v1`` (issue 16)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from commprefs.api.params import INT64_MAX


class ConfirmationRequest(BaseModel):
    subscriptionIds: list[int] = Field(  # noqa: N815 - camelCase wire names, as HubSpot's
        min_length=1,
        max_length=100,
        description="The subscription types to subscribe to once the subscriber confirms.",
    )
    businessUnitId: int = Field(  # noqa: N815
        default=0, ge=0, le=INT64_MAX, description="The business unit (brand) of the types."
    )
    language: str | None = Field(
        default=None, max_length=64, description="Language of the mail and page, e.g. 'de'."
    )
    legalBasisExplanation: str | None = Field(  # noqa: N815
        default=None,
        max_length=2000,
        description="Recorded with the consent once confirmed (a default says how it was given).",
    )


class ConfirmationMail(BaseModel):
    sentAt: datetime | None  # noqa: N815
    messageId: str | None  # noqa: N815
    attempts: int
    lastError: str | None  # noqa: N815


class Confirmation(BaseModel):
    id: str
    subscriberIdString: str  # noqa: N815
    businessUnitId: int  # noqa: N815
    subscriptionIds: list[int]  # noqa: N815
    language: str | None
    legalBasisExplanation: str | None  # noqa: N815
    requestedAt: datetime  # noqa: N815
    expiresAt: datetime  # noqa: N815
    confirmedAt: datetime | None  # noqa: N815
    requestedBy: dict[str, Any]  # noqa: N815
    mail: ConfirmationMail


class ConfirmationAccepted(Confirmation):
    mailQueued: bool = Field(  # noqa: N815
        description="False when a mail for the same request went out less than a minute ago."
    )


class Confirmations(BaseModel):
    subscriberIdString: str  # noqa: N815
    results: list[Confirmation]


class SubjectExport(BaseModel):
    """Everything commprefs holds about one address in the portal (GDPR Art. 15)."""

    format: str
    portalId: int  # noqa: N815
    subscriberIdString: str  # noqa: N815
    exportedAt: datetime  # noqa: N815
    statuses: list[dict[str, Any]]
    wideStatuses: list[dict[str, Any]]  # noqa: N815
    history: list[dict[str, Any]]
    confirmations: list[Confirmation]
    pendingConfirmations: list[str]  # noqa: N815
    webhooks: list[dict[str, Any]]
    webhookEvents: list[dict[str, Any]]  # noqa: N815
    idempotencyRecords: list[dict[str, Any]]  # noqa: N815
