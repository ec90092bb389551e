"""Wire shapes of the admin API (``/commprefs/v1``): camelCase like HubSpot's. Bodies refuse
unknown keys and loose types (a string is not a boolean), so a typo is a 400, not a no-op.
``domain/admin_bodies.py`` renders the answers these models describe."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from commprefs.api.params import INT64_MAX
from commprefs.api.v4.schemas import PublicSubscriptionTranslation, SubscriptionDefinition

Text = Annotated[StrictStr, Field(max_length=10_000)]
Name = Annotated[StrictStr, Field(max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the instance --------------------------------------------------------------------------------


class PortalIn(_Body):
    name: Name
    gdpr: StrictBool = False
    tokenName: Name = ""  # noqa: N815 - camelCase wire names


class Portal(BaseModel):
    id: int
    name: str
    gdpr: bool


class Portals(BaseModel):
    results: list[Portal]


class TokenCreated(BaseModel):
    """A new token: ``token`` is its secret, shown this once and never again."""

    id: int
    token: str
    name: str
    scopes: list[str]


class PortalCreated(BaseModel):
    portal: Portal
    token: TokenCreated


class LinkKey(BaseModel):
    kid: str
    signing: bool
    configured: bool
    createdAt: int | None  # noqa: N815
    retiredAt: int | None  # noqa: N815
    verifiesUntil: int | None  # noqa: N815


class LinkKeys(BaseModel):
    results: list[LinkKey]


# -- business units ------------------------------------------------------------------------------


class BrandingIn(_Body):
    """An absent field is left as it is; an empty one goes back to the default."""

    name: Name | None = None
    colour: Annotated[StrictStr, Field(max_length=20)] | None = None
    logoUrl: Annotated[StrictStr, Field(max_length=2000)] | None = None  # noqa: N815


class BusinessUnitIn(_Body):
    name: Name


class BusinessUnitPatch(_Body):
    name: Name | None = None
    branding: BrandingIn | None = None


class Branding(BaseModel):
    name: str | None
    colour: str | None
    logoUrl: str | None  # noqa: N815


class BusinessUnit(BaseModel):
    portalId: int  # noqa: N815
    id: int
    name: str
    branding: Branding


class BusinessUnits(BaseModel):
    results: list[BusinessUnit]


# -- subscription types --------------------------------------------------------------------------


class DefinitionIn(_Body):
    name: Name
    description: Text = ""
    businessUnitId: Annotated[int, Field(ge=0, le=INT64_MAX)] = 0  # noqa: N815
    purpose: Annotated[StrictStr, Field(max_length=100)] = ""
    communicationMethod: Annotated[StrictStr, Field(max_length=100)] = "Email"  # noqa: N815
    isInternal: StrictBool = False  # noqa: N815
    isDefault: StrictBool = False  # noqa: N815
    isActive: StrictBool = True  # noqa: N815


class DefinitionPatch(_Body):
    """Only what is given changes; ``isActive: false`` deactivates, ``true`` reactivates."""

    name: Name | None = None
    description: Text | None = None
    purpose: Annotated[StrictStr, Field(max_length=100)] | None = None
    communicationMethod: Annotated[StrictStr, Field(max_length=100)] | None = None  # noqa: N815
    isInternal: StrictBool | None = None  # noqa: N815
    isDefault: StrictBool | None = None  # noqa: N815
    isActive: StrictBool | None = None  # noqa: N815


class TranslationIn(_Body):
    name: Name
    description: Text = ""


class Definitions(BaseModel):
    results: list[SubscriptionDefinition]


Translation = PublicSubscriptionTranslation

# -- tokens --------------------------------------------------------------------------------------


class TokenIn(_Body):
    scopes: Annotated[list[Annotated[StrictStr, Field(max_length=100)]], Field(max_length=50)]
    name: Name = ""


class Token(BaseModel):
    id: int
    portalId: int | None  # noqa: N815
    name: str
    hint: str
    scopes: list[str]
    revoked: bool
    createdAt: datetime  # noqa: N815
    revokedAt: datetime | None  # noqa: N815


class Tokens(BaseModel):
    results: list[Token]


# -- webhooks ------------------------------------------------------------------------------------


class WebhookIn(_Body):
    url: Annotated[StrictStr, Field(max_length=2000)]
    secret: Annotated[StrictStr, Field(max_length=200)] | None = None


class Webhook(BaseModel):
    id: int
    portalId: int  # noqa: N815
    url: str
    secretHint: str  # noqa: N815
    deliveredSequence: int  # noqa: N815
    failedAttempts: int  # noqa: N815
    nextAttemptAt: datetime  # noqa: N815
    lastAttemptAt: datetime | None  # noqa: N815
    lastError: str | None  # noqa: N815
    pendingEvents: int | None = None  # noqa: N815


class WebhookCreated(Webhook):
    """A new webhook: ``secret`` signs its deliveries, shown this once."""

    secret: str


class Webhooks(BaseModel):
    results: list[Webhook]


class ReplayIn(_Body):
    since: Annotated[StrictStr, Field(max_length=64)]  # ISO-8601 or epoch ms
    webhookId: Annotated[int, Field(ge=0, le=INT64_MAX)] | None = None  # noqa: N815


class Rewind(BaseModel):
    id: int
    fromSequence: int  # noqa: N815
    events: int


class Rewinds(BaseModel):
    results: list[Rewind]


class ChainProblem(BaseModel):
    sequence: int
    message: str


class ChainReport(BaseModel):
    portalId: int  # noqa: N815
    intact: bool
    entries: int
    headSequence: int  # noqa: N815
    headHash: str  # noqa: N815
    problems: list[ChainProblem]


class Delivery(BaseModel):
    sequence: int
    eventId: str  # noqa: N815
    recordedAt: datetime  # noqa: N815
    status: str  # DELIVERED, FAILING or PENDING


class Deliveries(BaseModel):
    webhookId: int  # noqa: N815
    deliveredSequence: int  # noqa: N815
    failedAttempts: int  # noqa: N815
    lastAttemptAt: datetime | None  # noqa: N815
    lastError: str | None  # noqa: N815
    nextAttemptAt: datetime  # noqa: N815
    results: list[Delivery]


# -- imports and the audit trail -----------------------------------------------------------------


class ImportJob(BaseModel):
    id: int
    state: str  # RUNNING, COMPLETE or FAILED
    format: str
    rows: int
    imported: int
    rejected: int
    error: str | None
    requestId: str  # noqa: N815
    tokenId: int | None  # noqa: N815
    createdAt: datetime  # noqa: N815
    finishedAt: datetime | None  # noqa: N815


class ImportJobs(BaseModel):
    results: list[ImportJob]


class AuditRecord(BaseModel):
    id: int
    action: str
    target: str
    detail: dict[str, object]
    tokenId: int | None  # noqa: N815
    userId: int | None  # noqa: N815
    requestId: str  # noqa: N815
    recordedAt: datetime  # noqa: N815


class AuditRecords(BaseModel):
    results: list[AuditRecord]
