"""The wire models take their enums' values from the domain's enums (not copies of them)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from commprefs.api.commprefs_v1.schemas import LedgerEntry
from commprefs.api.v3.schemas import PublicUpdateSubscriptionStatusRequest
from commprefs.api.v4.schemas import PartialPublicStatusRequest, PublicStatus, PublicWideStatus
from commprefs.domain.preferences import Channel, LegalBasis, Reason, State, WideType


def enum_of(model: type[BaseModel], field: str) -> list[Any]:
    schema = model.model_json_schema()["properties"][field]
    options = schema.get("anyOf", [schema])  # an optional field: the enum or null
    found = next(option for option in options if "enum" in option or "const" in option)
    return found.get("enum", [found.get("const")])  # a one-value enum is a const


@pytest.mark.parametrize(
    ("model", "field", "enum"),
    [
        (PublicStatus, "channel", Channel),
        (PublicStatus, "status", State),
        (PublicStatus, "legalBasis", LegalBasis),
        (PublicStatus, "setStatusSuccessReason", Reason),
        (PublicWideStatus, "wideStatusType", WideType),
        (PartialPublicStatusRequest, "statusState", State),
        (PartialPublicStatusRequest, "legalBasis", LegalBasis),
        (PublicUpdateSubscriptionStatusRequest, "legalBasis", LegalBasis),
        (LedgerEntry, "wideStatusType", WideType),
        (LedgerEntry, "newStatus", State),
    ],
)
def test_a_wire_enum_is_the_domain_enums_values(
    model: type[BaseModel], field: str, enum: type[StrEnum]
) -> None:
    assert enum_of(model, field) == [member.value for member in enum]
