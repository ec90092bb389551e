"""HubSpot's legacy v3 wire shapes (reference §4.2), with HubSpot's schema names.

v3 differs from v4 in its ids (strings), its statuses (``SUBSCRIBED`` / ``NOT_SUBSCRIBED`` with
``sourceOfStatus``) and its body parsing: keys must be camelCase, and a body without them is
refused with the message HubSpot's Java backend gives.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from commprefs.api.errors import validation_details
from commprefs.api.params import INT64_MAX
from commprefs.api.v4.schemas import LegalBasisValue, SubscriptionDefinition
from commprefs.domain.bodies import render_definition
from commprefs.domain.errors import ErrorDetail, InvalidInput
from commprefs.domain.numbers import ascii_digits
from commprefs.domain.preferences import (
    Definition,
    State,
    Status,
    StatusChange,
    Translation,
    WideType,
)
from commprefs.domain.subscribers import subscriber_key

REQUEST_NAME = "PublicUpdateSubscriptionStatusRequest"
REQUIRED = ("emailAddress", "subscriptionId")

SourceOfStatus = Literal["PORTAL_WIDE_STATUS", "BRAND_WIDE_STATUS", "SUBSCRIPTION_STATUS"]
_SOURCES: dict[WideType | None, SourceOfStatus] = {
    WideType.PORTAL_WIDE: "PORTAL_WIDE_STATUS",
    WideType.BUSINESS_UNIT_WIDE: "BRAND_WIDE_STATUS",
    None: "SUBSCRIPTION_STATUS",
}


class PublicUpdateSubscriptionStatusRequest(BaseModel):
    """The body of subscribe and unsubscribe. ``subscriptionId`` is a numeric string."""

    emailAddress: str  # noqa: N815 - HubSpot's wire name
    subscriptionId: str  # noqa: N815
    legalBasis: LegalBasisValue | None = None  # noqa: N815
    legalBasisExplanation: str | None = None  # noqa: N815

    @field_validator("subscriptionId", mode="before")
    @classmethod
    def _numeric(cls, value: Any) -> Any:
        # HubSpot's backend reads a JSON number here as its digits; so do we.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and not (ascii_digits(value) and 0 < int(value) <= INT64_MAX):
            raise PydanticCustomError(
                "subscription_id",
                "{value} is not a subscription id (a positive whole number)",
                {"value": repr(value)},
            )
        return value


class PublicSubscriptionStatus(BaseModel):
    id: str
    name: str
    description: str
    status: Literal["SUBSCRIBED", "NOT_SUBSCRIBED"]
    sourceOfStatus: SourceOfStatus  # noqa: N815
    brandId: int | None = None  # noqa: N815
    preferenceGroupName: str | None = None  # noqa: N815
    legalBasis: LegalBasisValue | None = None  # noqa: N815
    legalBasisExplanation: str | None = None  # noqa: N815


class PublicSubscriptionStatusesResponse(BaseModel):
    recipient: str
    subscriptionStatuses: list[PublicSubscriptionStatus]  # noqa: N815


class SubscriptionDefinitionsResponse(BaseModel):
    subscriptionDefinitions: list[SubscriptionDefinition]  # noqa: N815


# The body is parsed by hand (parse_update) to answer as HubSpot does; this documents it under
# HubSpot's schema name (the component is added by add_request_schema).
REQUEST_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{REQUEST_NAME}"}}
        },
    }
}


def add_request_schema(document: dict[str, Any]) -> dict[str, Any]:
    """Put the hand-parsed request body's schema into an OpenAPI document's components."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(REQUEST_NAME, PublicUpdateSubscriptionStatusRequest.model_json_schema())
    return document


def parse_update(raw: bytes, state: State) -> StatusChange:
    """A v3 body as a status change to ``state``; anything malformed is a 400 naming the field."""
    if not raw.strip():
        raise InvalidInput.field(
            "body", f"Invalid input JSON: the body must be a {REQUEST_NAME}.", "MISSING_FIELD"
        )
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput.field(
            "body", "Invalid input JSON: the request body is not valid JSON.", "INVALID_JSON"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput.field("body", f"Invalid input JSON: the body must be a {REQUEST_NAME}.")
    missing = [name for name in REQUIRED if data.get(name) is None]
    if missing:
        line, column = _inside_object(raw)
        raise InvalidInput(
            f"Invalid input JSON on line {line}, column {column}: Cannot build {REQUEST_NAME}, "
            f"some of required attributes are not set [{', '.join(missing)}]",
            [ErrorDetail(f"{name} is required.", name, "MISSING_FIELD") for name in missing],
        )
    try:
        body = PublicUpdateSubscriptionStatusRequest.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        raise InvalidInput(
            f"Invalid input: {', '.join(sorted({d.in_ or '' for d in details}))}", details
        ) from None
    return StatusChange(
        subscriber=subscriber_key(body.emailAddress, "emailAddress"),
        subscription_id=int(body.subscriptionId),
        state=state,
        legal_basis=body.legalBasis,
        legal_basis_explanation=body.legalBasisExplanation,
    )


def _inside_object(raw: bytes) -> tuple[int, int]:
    """Line and column (1-based) just inside the body's opening brace, where HubSpot's message
    places the object it could not build."""
    brace = raw.find(b"{")
    line_start = raw.rfind(b"\n", 0, brace) + 1
    return raw.count(b"\n", 0, brace) + 1, brace - line_start + 2


def render_status(status: Status) -> dict[str, Any]:
    """v3 has no NOT_SPECIFIED: a type nobody chose reads NOT_SUBSCRIBED, like an opt-out."""
    definition = status.definition
    body: dict[str, Any] = {
        "id": str(definition.id),
        "name": definition.name,
        "description": definition.description,
        "status": "SUBSCRIBED" if status.status is State.SUBSCRIBED else "NOT_SUBSCRIBED",
        "sourceOfStatus": _SOURCES[status.covered_by],
        "brandId": definition.business_unit_id,
    }
    # Optional fields are left out rather than null, as in HubSpot's v3 examples.
    if status.legal_basis is not None:
        body["legalBasis"] = status.legal_basis
    if status.legal_basis_explanation is not None:
        body["legalBasisExplanation"] = status.legal_basis_explanation
    return body


def render_statuses(recipient: str, statuses: list[Status]) -> dict[str, Any]:
    return {"recipient": recipient, "subscriptionStatuses": [render_status(s) for s in statuses]}


def render_definitions(definitions: list[tuple[Definition, list[Translation]]]) -> dict[str, Any]:
    # v3 has no includeTranslations: the service's translations list is empty and left out.
    return {"subscriptionDefinitions": [render_definition(d) for d, _ in definitions]}
