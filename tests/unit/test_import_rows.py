"""Import rows: what a row may say, and the column named when it says it wrong."""

from __future__ import annotations

from typing import Any

import pytest

from commprefs.domain.clock import parse_instant
from commprefs.domain.errors import InvalidInput
from commprefs.domain.preferences import Definition, State
from commprefs.domain.transfer import OptOutRow, RawRecord, TypeRow
from commprefs.transfer.schemas import RowContext, RowError, canonical, check_header, parse_row

NOW = parse_instant("2026-06-01T12:00:00Z")


def definition(id_: int, name: str, unit: int = 0) -> Definition:
    return Definition(id_, 1, unit, name, "", "", "", True, False, False, 0, 0)


CONTEXT = RowContext(
    definitions={1: definition(1, "News"), 2: definition(2, "Offers"), 3: definition(3, "News", 7)},
    business_units={0, 7},
    default_source="Import",
    now=NOW,
)


def parse(**fields: Any) -> TypeRow | OptOutRow:
    return parse_row(RawRecord(2, dict(fields)), CONTEXT)


def refused(**fields: Any) -> tuple[str | None, str]:
    with pytest.raises(RowError) as caught:
        parse(**fields)
    return caught.value.field, caught.value.message


def test_a_full_type_row() -> None:
    row = parse(
        email="Jane@Example.com",
        subscriptionId="2",
        status="subscribed",
        legalBasis="CONSENT_WITH_NOTICE",
        legalBasisExplanation=" form ",
        timestamp="2025-01-01T00:00:00Z",
        source="Old CRM",
    )
    assert isinstance(row, TypeRow)
    change = row.change
    assert (change.subscriber, change.subscription_id, change.state) == (
        "Jane@Example.com",
        2,
        State.SUBSCRIBED,
    )
    assert (change.legal_basis, change.legal_basis_explanation) == ("CONSENT_WITH_NOTICE", "form")
    assert change.occurred_at == parse_instant("2025-01-01T00:00:00Z")
    assert change.source == "Old CRM"


def test_names_resolve_and_defaults_apply() -> None:
    row = parse(email="a@example.com", subscriptionName="offers", status="UNSUBSCRIBED")
    assert isinstance(row, TypeRow)
    assert row.change.subscription_id == 2
    assert row.change.source == "Import"
    assert row.change.occurred_at is None
    by_unit = parse(
        email="a@example.com", subscription="News", businessUnitId="7", status="NOT_SPECIFIED"
    )
    assert isinstance(by_unit, TypeRow)
    assert by_unit.change.subscription_id == 3


def test_opt_out_rows() -> None:
    wide = parse(
        email="a@example.com",
        wideStatusType="PORTAL_WIDE",
        businessUnitId="0",
        status="UNSUBSCRIBED",
    )
    assert isinstance(wide, OptOutRow)
    assert wide.business_unit_id is None
    brand = parse(
        email="a@example.com",
        wideStatusType="BUSINESS_UNIT_WIDE",
        businessUnitId="7",
        status="UNSUBSCRIBED",
    )
    assert isinstance(brand, OptOutRow)
    assert brand.business_unit_id == 7


@pytest.mark.parametrize(
    ("fields", "column", "says"),
    [
        ({"subscriptionId": "1", "status": "SUBSCRIBED"}, "email", "required"),
        ({"email": "a@example.com", "subscriptionId": "1", "status": "MAYBE"}, "status", "MAYBE"),
        ({"email": "a@example.com", "status": "SUBSCRIBED"}, "subscriptionId", "needed"),
        (
            {"email": "a@example.com", "subscriptionId": "x1", "status": "SUBSCRIBED"},
            "subscriptionId",
            "whole number",
        ),
        (
            {"email": "a@example.com", "subscriptionName": "Nope", "status": "SUBSCRIBED"},
            "subscriptionName",
            "Nope",
        ),
        (
            {"email": "a@example.com", "subscriptionName": "News", "status": "SUBSCRIBED"},
            "subscriptionName",
            "businessUnitId",
        ),
        (
            {
                "email": "a@example.com",
                "subscriptionId": "1",
                "subscriptionName": "Offers",
                "status": "SUBSCRIBED",
            },
            "subscriptionName",
            "'News' here",
        ),
        (
            {
                "email": "a@example.com",
                "subscriptionId": "1",
                "status": "SUBSCRIBED",
                "legalBasis": "VIBES",
            },
            "legalBasis",
            "VIBES",
        ),
        (
            {
                "email": "a@example.com",
                "subscriptionId": "1",
                "status": "SUBSCRIBED",
                "timestamp": "Tuesday",
            },
            "timestamp",
            "Tuesday",
        ),
        (
            {
                "email": "a@example.com",
                "subscriptionId": "1",
                "status": "SUBSCRIBED",
                "timestamp": "2026-06-02",
            },
            "timestamp",
            "future",
        ),
        (
            {
                "email": "a@example.com",
                "subscriptionId": "1",
                "status": "SUBSCRIBED",
                "source": "x" * 201,
            },
            "source",
            "200",
        ),
        (
            {
                "email": "a@example.com",
                "subscriptionId": "1",
                "status": "SUBSCRIBED",
                "colour": "red",
            },
            "colour",
            "unknown",
        ),
        (
            {"email": "a@example.com", "wideStatusType": "EVERYTHING", "status": "UNSUBSCRIBED"},
            "wideStatusType",
            "PORTAL_WIDE",
        ),
        (
            {"email": "a@example.com", "wideStatusType": "PORTAL_WIDE", "status": "SUBSCRIBED"},
            "status",
            "lifts",
        ),
        (
            {
                "email": "a@example.com",
                "wideStatusType": "PORTAL_WIDE",
                "businessUnitId": "7",
                "status": "UNSUBSCRIBED",
            },
            "businessUnitId",
            "no business unit",
        ),
        (
            {
                "email": "a@example.com",
                "wideStatusType": "BUSINESS_UNIT_WIDE",
                "businessUnitId": "9",
                "status": "UNSUBSCRIBED",
            },
            "businessUnitId",
            "9",
        ),
        (
            {
                "email": "a@example.com",
                "wideStatusType": "PORTAL_WIDE",
                "subscriptionId": "1",
                "status": "UNSUBSCRIBED",
            },
            "wideStatusType",
            "either",
        ),
        (
            {"email": {"nested": 1}, "subscriptionId": "1", "status": "SUBSCRIBED"},
            "email",
            "string",
        ),
    ],
)
def test_what_is_refused_names_its_column(fields: dict[str, Any], column: str, says: str) -> None:
    field, message = refused(**fields)
    assert field == column
    assert says in message


def test_matching_by_name_ignores_ids() -> None:
    context = RowContext(CONTEXT.definitions, {0, 7}, "Import", NOW, match_by_name=True)
    row = parse_row(
        RawRecord(
            2,
            {
                "email": "a@example.com",
                "subscriptionId": "999",
                "subscriptionName": "Offers",
                "status": "SUBSCRIBED",
            },
        ),
        context,
    )
    assert isinstance(row, TypeRow)
    assert row.change.subscription_id == 2


def test_column_names_are_forgiving_but_not_guessed() -> None:
    assert canonical("Subscription ID") == "subscriptionId"
    assert canonical("legal_basis_explanation") == "legalBasisExplanation"
    assert canonical("_error") == ""
    assert canonical("stauts") is None
    check_header(["email", "subscription_name", "Status", "_line"])
    for header, says in [
        (["email", "stauts"], "Unknown column 'stauts'"),
        (["email", "status", "Email"], "repeat"),
        (["email", "subscriptionId"], "status"),
    ]:
        with pytest.raises(InvalidInput, match=says):
            check_header(header)


@pytest.mark.parametrize("digits", ["\u00b2", "\u0661", "\u0663\u0664", "\uff11"])
@pytest.mark.parametrize(
    ("fields", "column"),
    [
        ({"subscriptionId": "{}"}, "subscriptionId"),
        ({"subscription": "{}"}, "subscriptionName"),
        ({"subscriptionName": "News", "businessUnitId": "{}"}, "businessUnitId"),
        ({"wideStatusType": "BUSINESS_UNIT_WIDE", "businessUnitId": "{}"}, "businessUnitId"),
    ],
)
def test_digits_other_than_ascii_are_not_numbers(
    fields: dict[str, str], column: str, digits: str
) -> None:
    """Superscripts and other scripts' digits pass str.isdigit(); some int() reads, some it
    refuses. Either way the row is refused, naming its column, and the import goes on."""
    row = {name: value.format(digits) for name, value in fields.items()}
    assert refused(email="a@example.com", status="UNSUBSCRIBED", **row)[0] == column


@pytest.mark.parametrize(
    "timestamp",
    ["253402300800000", str(2**63), "10000-01-01", "9999-12-31T23:59:59-05:00", "-1", "NaN"],
)
def test_timestamps_outside_the_representable_range_are_refused(timestamp: str) -> None:
    column, says = refused(
        email="a@example.com", subscriptionId="1", status="SUBSCRIBED", timestamp=timestamp
    )
    assert column == "timestamp"
    assert "9999-12-31T23:59:59.999Z" in says
