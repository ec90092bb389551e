"""The seed document: what ``serve --seed FILE`` and ``POST /_commprefs/seed`` take and what
``GET /_commprefs/state`` gives back (camelCase on the wire, YAML or JSON), as pydantic models;
its JSON Schema is generated from them (``seed_schema``).

Only the shape is checked here. What needs the data (a status naming a type the document does not
define, a GDPR portal's SUBSCRIBED without a legal basis) is checked by the services while the
seed is applied (emulator/seed.py), with their own rules and words.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from commprefs.domain.clock import InstantError, iso_ms, parse_instant
from commprefs.domain.preferences import LegalBasis
from commprefs.domain.tokens import ALL_SCOPES

SEED_SOURCE = "Seed"
_MAX_ID = 2**53 - 1  # what a JSON number holds exactly (and BIGINT does too)


def _instant(value: Any) -> Any:
    """ISO-8601 or epoch milliseconds, by the one rule for every time a client gives."""
    if isinstance(value, bool):
        raise ValueError("a time is an ISO-8601 instant or epoch milliseconds")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except InstantError as error:
            raise ValueError(str(error)) from None
    raise ValueError("a time is an ISO-8601 instant or epoch milliseconds")


# Epoch milliseconds inside; an ISO-8601 string or epoch milliseconds in the document.
Instant = Annotated[
    int,
    BeforeValidator(_instant),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "integer", "minimum": 0},
            ],
            "description": "ISO-8601 (e.g. 2024-08-02T19:28:39.390Z) or epoch milliseconds",
        }
    ),
]
Id = Annotated[int, Field(ge=1, le=_MAX_ID)]
UnitId = Annotated[int, Field(ge=0, le=_MAX_ID)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=2000)]
Email = Annotated[str, Field(min_length=3, max_length=320)]
Source = Annotated[str, Field(min_length=1, max_length=200)]


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class SeedPortal(_Model):
    """A portal (a HubSpot account). Business unit 0 ("Account") comes with it."""

    id: Id
    name: Name = "Default"
    gdpr: bool = False


class SeedBranding(_Model):
    """The hosted pages' branding of a business unit (absent: the default)."""

    name: Name | None = None
    colour: str | None = Field(default=None, description="#rrggbb")
    logo_url: str | None = Field(default=None, max_length=2000)


class SeedBusinessUnit(_Model):
    """A business unit (brand). Unit 0 exists in every portal: an entry with id 0 only brands it."""

    portal_id: Id | None = Field(default=None, description="Absent: the first portal.")
    id: UnitId
    name: Name = "Account"
    branding: SeedBranding | None = None


class SeedTranslation(_Model):
    language_code: Annotated[str, Field(min_length=2, max_length=16)]
    name: Name
    description: Text = ""
    created_at: Instant | None = None
    updated_at: Instant | None = None


class SeedDefinition(_Model):
    """A subscription type, with the id the test wants (e.g. HubSpot's 33583163)."""

    portal_id: Id | None = Field(default=None, description="Absent: the first portal.")
    id: Id | None = Field(default=None, description="Absent: the next free id.")
    name: Name
    description: Text = ""
    purpose: Annotated[str, Field(max_length=100)] = ""
    communication_method: Annotated[str, Field(max_length=100)] = "Email"
    business_unit_id: UnitId = 0
    is_active: bool = True
    is_default: bool = False
    is_internal: bool = False
    created_at: Instant | None = None
    updated_at: Instant | None = None
    translations: list[SeedTranslation] = Field(default_factory=list, max_length=50)


class SeedToken(_Model):
    """An access token whose secret is ``value`` (stored, as every token, as its SHA-256)."""

    portal_id: Id | None = Field(default=None, description="Absent: the first portal.")
    value: Annotated[str, Field(min_length=1, max_length=512)]
    name: Annotated[str, Field(max_length=200)] = ""
    scopes: list[Literal[ALL_SCOPES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(ALL_SCOPES), min_length=1
    )


class SeedStatus(_Model):
    """A subscriber's status for one subscription type."""

    portal_id: Id | None = Field(default=None, description="Absent: the first portal.")
    email: Email
    subscription_id: Id
    status: Literal["SUBSCRIBED", "UNSUBSCRIBED", "NOT_SPECIFIED"]
    legal_basis: LegalBasis | None = None
    legal_basis_explanation: Text | None = None
    source: Source = SEED_SOURCE
    timestamp: Instant | None = Field(default=None, description="Absent: when seeded.")


class SeedOptOut(_Model):
    """An opt-out of all email: of the whole portal, or of one business unit."""

    portal_id: Id | None = Field(default=None, description="Absent: the first portal.")
    email: Email
    business_unit_id: UnitId | None = Field(
        default=None, description="Absent: portal-wide; a unit's id: that brand only."
    )
    source: Source = SEED_SOURCE
    timestamp: Instant | None = Field(default=None, description="Absent: when seeded.")


class SeedDocument(_Model):
    """Everything an emulator starts from. Absent portals: one portal "Default" (id 1)."""

    schema_: str | None = Field(default=None, alias="$schema", max_length=2000)
    # Bounds that keep a document under the request body limit (COMMPREFS_MAX_BODY_BYTES):
    # the fixtures of a test suite, not a bulk load (that is `commprefs import`).
    portals: list[SeedPortal] = Field(default_factory=list, max_length=100)
    business_units: list[SeedBusinessUnit] = Field(default_factory=list, max_length=500)
    subscription_definitions: list[SeedDefinition] = Field(default_factory=list, max_length=200)
    tokens: list[SeedToken] = Field(default_factory=list, max_length=100)
    statuses: list[SeedStatus] = Field(default_factory=list, max_length=2000)
    opt_outs: list[SeedOptOut] = Field(default_factory=list, max_length=2000)

    def wire(self) -> dict[str, Any]:
        """As the document is written: camelCase, times as ISO-8601, empty parts left out."""
        body = self.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False)
        body.pop("$schema", None)
        wire: dict[str, Any] = _iso_times({key: value for key, value in body.items() if value})
        return wire


_TIMES = {"createdAt", "updatedAt", "timestamp"}


def _iso_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: iso_ms(v) if k in _TIMES and isinstance(v, int) else _iso_times(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_iso_times(item) for item in value]
    return value


def seed_schema() -> dict[str, Any]:
    """The seed document's JSON Schema (draft 2020-12), from the models above."""
    schema = SeedDocument.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "commprefs emulator seed",
        **schema,
    }
