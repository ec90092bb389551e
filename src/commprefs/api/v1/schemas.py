"""HubSpot's Email Subscriptions v1 wire shapes (``/email/public/v1/subscriptions``): ids and
times are numbers (epoch ms), states are booleans and ``optState``; the renderers and the PUT
body's reading into the service's changes.

Field names and types are HubSpot's legacy reference's and those its clients (hubspot3, npm
``hubspot``) read; README "Email Subscriptions v1" lists them.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from commprefs.api.params import INT64_MAX
from commprefs.api.v4.schemas import LegalBasisValue
from commprefs.domain.errors import InvalidInput
from commprefs.domain.ledger import HistoryEntry, TimelinePage
from commprefs.domain.outcomes import V1Reading
from commprefs.domain.preferences import Definition, State, StatusChange, WideType

OptState = Literal["OPT_IN", "OPT_OUT", "NOT_OPTED"]
_STATES: dict[OptState, State] = {
    "OPT_IN": State.SUBSCRIBED,
    "OPT_OUT": State.UNSUBSCRIBED,
    "NOT_OPTED": State.NOT_SPECIFIED,
}
_OPT_STATES: dict[State, OptState] = {state: opt for opt, state in _STATES.items()}

# -- responses -----------------------------------------------------------------------------------


class V1SubscriptionDefinition(BaseModel):
    id: int
    portalId: int  # noqa: N815 - HubSpot's wire names
    name: str
    description: str
    active: bool
    internal: bool
    category: str
    channel: str
    internalName: str  # noqa: N815
    businessUnitId: int  # noqa: N815


class V1SubscriptionDefinitions(BaseModel):
    subscriptionDefinitions: list[V1SubscriptionDefinition]  # noqa: N815


class V1SubscriptionStatus(BaseModel):
    id: int
    subscribed: bool
    optState: OptState  # noqa: N815
    updatedAt: int  # noqa: N815
    legalBasis: LegalBasisValue | None = None  # noqa: N815
    legalBasisExplanation: str | None = None  # noqa: N815


class EmailSubscription(BaseModel):
    subscribed: bool
    markedAsSpam: bool  # noqa: N815
    bounced: bool
    unsubscribeFromPortal: bool  # noqa: N815
    status: Literal["subscribed", "unsubscribed"]
    portalId: int  # noqa: N815
    email: str
    subscriptionStatuses: list[V1SubscriptionStatus]  # noqa: N815


class UpdateAnswer(BaseModel):
    status: Literal["ok"]


class TimelineChange(BaseModel):
    change: Literal["SUBSCRIBED", "UNSUBSCRIBED", "NOT_SPECIFIED"]
    changeType: Literal["SUBSCRIPTION_STATUS", "PORTAL_STATUS", "BUSINESS_UNIT_STATUS"]  # noqa: N815
    subscriptionId: int | None = None  # noqa: N815
    businessUnitId: int | None = None  # noqa: N815
    source: Literal["SOURCE_HUBSPOT_CUSTOMER", "SOURCE_RECIPIENT", "SOURCE_IMPORT"]
    portalId: int  # noqa: N815
    timestamp: int


class TimelineItem(BaseModel):
    timestamp: int
    portalId: int  # noqa: N815
    recipient: str
    normalizedEmailId: str  # noqa: N815
    changes: list[TimelineChange]


class Timeline(BaseModel):
    timeline: list[TimelineItem]
    hasMore: bool  # noqa: N815
    offset: str


# -- the PUT body ------------------------------------------------------------------------------


class V1SubscriptionStatusUpdate(BaseModel):
    """One type's new state: ``subscribed``, ``optState`` or both (when they agree)."""

    model_config = ConfigDict(strict=True)

    id: int = Field(ge=1, le=INT64_MAX)
    subscribed: bool | None = None
    optState: OptState | None = None  # noqa: N815
    legalBasis: LegalBasisValue | None = None  # noqa: N815
    legalBasisExplanation: str | None = Field(default=None, max_length=4000)  # noqa: N815

    @model_validator(mode="after")
    def _one_state(self) -> V1SubscriptionStatusUpdate:
        if self.subscribed is None and self.optState is None:
            raise _invalid("give subscribed or optState")
        if (
            self.subscribed is not None
            and self.optState is not None
            and _STATES[self.optState] is not _state_of(self.subscribed)
        ):
            raise _invalid(f"subscribed {self.subscribed} contradicts {self.optState}")
        return self

    @property
    def state(self) -> State:
        return _STATES[self.optState] if self.optState else _state_of(bool(self.subscribed))


class EmailSubscriptionUpdate(BaseModel):
    """One of: ``unsubscribeFromAll: true``, ``subscribed: true`` (subscribe to all), or
    ``subscriptionStatuses``; the portal-level legal basis goes with the last two."""

    model_config = ConfigDict(strict=True)

    unsubscribeFromAll: bool | None = None  # noqa: N815
    subscribed: bool | None = None
    subscriptionStatuses: list[V1SubscriptionStatusUpdate] | None = Field(  # noqa: N815
        default=None, max_length=1000
    )
    portalSubscriptionLegalBasis: LegalBasisValue | None = None  # noqa: N815
    portalSubscriptionLegalBasisExplanation: str | None = Field(  # noqa: N815
        default=None, max_length=4000
    )

    @model_validator(mode="after")
    def _one_kind(self) -> EmailSubscriptionUpdate:
        if self.subscribed is False:
            raise _invalid(
                "subscribed: false is not an update; to opt out of all email send "
                "unsubscribeFromAll: true"
            )
        kinds = [
            name
            for name, given in (
                ("unsubscribeFromAll", self.unsubscribeFromAll is True),
                ("subscribed", self.subscribed is True),
                ("subscriptionStatuses", self.subscriptionStatuses is not None),
            )
            if given
        ]
        if not kinds:
            raise _invalid(
                "the body names no change: give unsubscribeFromAll, subscribed or "
                "subscriptionStatuses"
            )
        if len(kinds) > 1:
            raise _invalid(f"{' and '.join(kinds)} cannot be sent together")
        return self

    def changes(self, subscriber: str) -> list[StatusChange]:
        """Each status as a change; a SUBSCRIBED one without its own legal basis takes the
        portal-level one."""
        return [
            StatusChange(
                subscriber=subscriber,
                subscription_id=item.id,
                state=item.state,
                legal_basis=item.legalBasis or self._portal_basis(item),
                legal_basis_explanation=item.legalBasisExplanation
                or self._portal_explanation(item),
            )
            for item in self.subscriptionStatuses or ()
        ]

    def _portal_basis(self, item: V1SubscriptionStatusUpdate) -> str | None:
        return self.portalSubscriptionLegalBasis if item.state is State.SUBSCRIBED else None

    def _portal_explanation(self, item: V1SubscriptionStatusUpdate) -> str | None:
        if item.state is not State.SUBSCRIBED:
            return None
        return self.portalSubscriptionLegalBasisExplanation


def _invalid(message: str) -> PydanticCustomError:
    """A refusal worded as given (a ValueError's would start "Value error, ")."""
    return PydanticCustomError("v1_body", message)


def _state_of(subscribed: bool) -> State:
    return State.SUBSCRIBED if subscribed else State.UNSUBSCRIBED


# -- renderers -----------------------------------------------------------------------------------


def internal_name(name: str) -> str:
    """HubSpot's constant-style name of a type (``Blog Email`` → ``BLOG_EMAIL``); commprefs
    derives it from the name."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


def render_definitions(portal_id: int, definitions: list[Definition]) -> dict[str, Any]:
    return {
        "subscriptionDefinitions": [
            {
                "id": d.id,
                "portalId": portal_id,
                "name": d.name,
                "description": d.description,
                "active": d.is_active,
                "internal": d.is_internal,
                "category": d.purpose,
                "channel": d.communication_method,
                "internalName": internal_name(d.name),
                "businessUnitId": d.business_unit_id,
            }
            for d in definitions
        ]
    }


def render_subscription(portal_id: int, reading: V1Reading) -> dict[str, Any]:
    statuses = []
    for status in reading.statuses:
        item: dict[str, Any] = {
            "id": status.definition.id,
            "subscribed": status.status is State.SUBSCRIBED,
            "optState": _OPT_STATES[status.status],
            "updatedAt": status.timestamp,
        }
        # Left out rather than null, as in HubSpot's examples.
        if status.legal_basis is not None:
            item["legalBasis"] = status.legal_basis
        if status.legal_basis_explanation is not None:
            item["legalBasisExplanation"] = status.legal_basis_explanation
        statuses.append(item)
    subscribed = not reading.opted_out_of_all
    return {
        "subscribed": subscribed,
        "markedAsSpam": False,  # commprefs records no spam reports or bounces
        "bounced": False,
        "unsubscribeFromPortal": reading.opted_out_of_all,
        "status": "subscribed" if subscribed else "unsubscribed",
        "portalId": portal_id,
        "email": reading.subscriber,
        "subscriptionStatuses": statuses,
    }


_SOURCES = {"pages": "SOURCE_RECIPIENT", "import": "SOURCE_IMPORT"}
# Namespaces normalizedEmailId: the same id for one address in one portal, every time.
_EMAIL_IDS = uuid.UUID("7b0a3e52-4c1d-4e8e-9a51-6d2f0c3b9e14")


def _change(portal_id: int, entry: HistoryEntry) -> dict[str, Any]:
    change: dict[str, Any] = {"change": entry.new_status.value}
    if entry.subscription_id is not None:
        change["changeType"] = "SUBSCRIPTION_STATUS"
        change["subscriptionId"] = entry.subscription_id
    elif entry.wide_type is WideType.PORTAL_WIDE:
        change["changeType"] = "PORTAL_STATUS"
    else:
        change["changeType"] = "BUSINESS_UNIT_STATUS"
        change["businessUnitId"] = entry.business_unit_id
    change["source"] = _SOURCES.get(entry.api, "SOURCE_HUBSPOT_CUSTOMER")
    change["portalId"] = portal_id
    change["timestamp"] = entry.occurred_at if entry.occurred_at is not None else entry.created_at
    return change


def render_timeline(portal_id: int, page: TimelinePage) -> dict[str, Any]:
    return {
        "timeline": [
            {
                "timestamp": item[0].created_at,
                "portalId": portal_id,
                "recipient": item[0].subscriber,
                "normalizedEmailId": str(
                    uuid.uuid5(_EMAIL_IDS, f"{portal_id}:{item[0].subscriber}")
                ),
                "changes": [_change(portal_id, entry) for entry in item],
            }
            for item in page.items
        ],
        "hasMore": page.has_more,
        "offset": encode_offset(page.next_before),
    }


# The timeline's offset: opaque to clients (as HubSpot's), a position in the portal's ledger.
_OFFSET = re.compile(r"s([0-9]{1,19})")


def encode_offset(before_seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{before_seq}".encode()).decode().rstrip("=")


def decode_offset(offset: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(offset + "=" * (-len(offset) % 4)).decode("ascii")
    except ValueError:
        raw = ""
    found = _OFFSET.fullmatch(raw)
    if found is None or int(found.group(1)) > INT64_MAX or encode_offset(int(raw[1:])) != offset:
        raise InvalidInput.field(
            "offset", "offset: not an offset this timeline returned.", "INVALID_VALUE"
        )
    return int(found.group(1))
