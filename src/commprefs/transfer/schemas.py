"""The row format of imports and exports, the same in CSV and NDJSON.

Columns (names match case-insensitively, ignoring ``_``, ``-`` and spaces; columns whose names
start with ``_`` are ignored, so a rejects report imports as it is once fixed):

- ``email`` (required) — the subscriber.
- ``subscriptionId`` or ``subscriptionName`` (or ``subscription``: an id or a name) — the type;
  or ``wideStatusType`` PORTAL_WIDE / BUSINESS_UNIT_WIDE (+ ``businessUnitId``) for an opt-out of
  all email, whose ``status`` must be UNSUBSCRIBED.
- ``status`` (required) — SUBSCRIBED, UNSUBSCRIBED or NOT_SPECIFIED.
- ``legalBasis``, ``legalBasisExplanation`` — required for SUBSCRIBED in a GDPR portal.
- ``timestamp`` — when the choice was made (ISO-8601 or epoch ms); a row older than the choice
  on record for that type is rejected, never applied over a newer one.
- ``source`` — recorded with the status; the import's ``--source`` otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from commprefs.domain.clock import InstantError, iso_ms, parse_instant
from commprefs.domain.errors import InvalidInput
from commprefs.domain.faults import check_legal_basis_value, unknown_business_unit
from commprefs.domain.numbers import ascii_digits
from commprefs.domain.preferences import Definition, State, StatusChange, WideType
from commprefs.domain.transfer import OptOutRow, RawRecord, TypeRow

COLUMNS = (
    "email",
    "subscriptionId",
    "subscriptionName",
    "wideStatusType",
    "businessUnitId",
    "status",
    "legalBasis",
    "legalBasisExplanation",
    "timestamp",
    "source",
)
SUPPRESSION_COLUMNS = ("email", "reason", "businessUnitId", "subscriptionId", "since", "source")

_ALIASES = {
    **{name.lower(): name for name in COLUMNS},
    "subscriberidstring": "email",
    "subscriber": "email",
    "subscription": "subscription",
    "statusstate": "status",
    "occurredat": "timestamp",
}
MAX_SOURCE = 200
MAX_CLOCK_SKEW_MS = 5 * 60_000  # a timestamp later than now by more than this is refused


def canonical(name: str) -> str | None:
    """The column a file's name stands for; "" for a column to ignore; None if unknown."""
    if name.startswith("_"):
        return ""
    return _ALIASES.get(re.sub(r"[\s_\-]", "", name).lower())


def check_header(names: list[str]) -> None:
    """A CSV header must name known columns, each once, and the required ones."""
    seen: dict[str, str] = {}
    for name in names:
        column = canonical(name)
        if column is None:
            raise InvalidInput.field(
                "header", f"Unknown column {name!r}; the columns are {', '.join(COLUMNS)}."
            )
        if column and column in seen:
            raise InvalidInput.field("header", f"Columns {seen[column]!r} and {name!r} repeat.")
        seen[column] = name
    missing = [c for c in ("email", "status") if c not in seen]
    if missing:
        raise InvalidInput.field("header", f"Required columns are missing: {', '.join(missing)}.")


class RowError(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class RowContext:
    """What parsing needs to know about the portal, and the import's choices."""

    definitions: dict[int, Definition]
    business_units: set[int]
    default_source: str
    now: int
    match_by_name: bool = False

    def __post_init__(self) -> None:
        self.by_name: dict[str, list[Definition]] = {}
        for definition in self.definitions.values():
            self.by_name.setdefault(definition.name.casefold(), []).append(definition)


def parse_row(record: RawRecord, context: RowContext) -> TypeRow | OptOutRow:
    """A validated row, or RowError naming the column at fault."""
    if record.fields is None or record.error is not None:
        raise RowError(None, record.error or "unreadable")
    values = _values(record.fields)
    email = _text(values, "email")
    if not email:
        raise RowError("email", "email is required")
    state = _state(values)
    source = _source(values, context)
    occurred_at = _timestamp(values, context)
    wide = _text(values, "wideStatusType")
    if wide:
        return _opt_out(record, values, context, email, state, wide, source, occurred_at)
    definition = _definition(values, context)
    basis = _text(values, "legalBasis") or None
    try:
        check_legal_basis_value(basis)  # the service checks it too: the same words, earlier
    except InvalidInput as error:
        raise RowError("legalBasis", error.message) from None
    change = StatusChange(
        subscriber=email,
        subscription_id=definition,
        state=state,
        legal_basis=basis,
        legal_basis_explanation=_text(values, "legalBasisExplanation") or None,
        source=source,
        occurred_at=occurred_at,
    )
    return TypeRow(record, change)


def _values(fields: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in fields.items():
        column = canonical(name)
        if column is None:
            raise RowError(name, f"unknown field {name!r}; the fields are {', '.join(COLUMNS)}")
        if column and value is not None:
            if isinstance(value, dict | list | bool):
                raise RowError(column, f"{column} must be a string or a number")
            values[column] = str(value).strip()
    return values


def _text(values: dict[str, str], column: str) -> str:
    return values.get(column, "")


def _state(values: dict[str, str]) -> State:
    text = _text(values, "status").upper()
    if text not in State.__members__:
        raise RowError("status", f"status must be one of {', '.join(State)}, not {text!r}")
    return State(text)


def _source(values: dict[str, str], context: RowContext) -> str:
    source = _text(values, "source") or context.default_source
    if len(source) > MAX_SOURCE or "\x00" in source:
        raise RowError("source", f"source has at most {MAX_SOURCE} characters and no NUL")
    return source


def _timestamp(values: dict[str, str], context: RowContext) -> int | None:
    text = _text(values, "timestamp")
    if not text:
        return None
    try:
        moment = parse_instant(text)
    except InstantError as error:
        raise RowError("timestamp", str(error)) from None
    if moment > context.now + MAX_CLOCK_SKEW_MS:
        raise RowError("timestamp", f"{iso_ms(moment)} is in the future")
    return moment


def _integer(values: dict[str, str], column: str) -> int | None:
    text = _text(values, column)
    if not text:
        return None
    if not ascii_digits(text) or len(text) > 18:
        raise RowError(column, f"{column} must be a whole number, not {text!r}")
    return int(text)


def _definition(values: dict[str, str], context: RowContext) -> int:
    name = _text(values, "subscriptionName")
    number = None if context.match_by_name else _integer(values, "subscriptionId")
    either = _text(values, "subscription")
    if either and number is None and not name:
        if ascii_digits(either) and not context.match_by_name:
            number = int(either)
        else:
            name = either
    if number is not None:
        found = context.definitions.get(number)
        if found is not None and name and found.name.casefold() != name.casefold():
            raise RowError(
                "subscriptionName",
                f"subscription {number} is {found.name!r} here, not {name!r}",
            )
        return number  # an unknown id is the service's to refuse, in its words
    if not name:
        raise RowError(
            "subscriptionId", "one of subscriptionId, subscriptionName or wideStatusType is needed"
        )
    return _by_name(name, values, context).id


def _by_name(name: str, values: dict[str, str], context: RowContext) -> Definition:
    candidates = context.by_name.get(name.casefold(), [])
    unit = _integer(values, "businessUnitId")
    if unit is not None:
        candidates = [d for d in candidates if d.business_unit_id == unit]
    if not candidates:
        raise RowError("subscriptionName", f"no subscription type is named {name!r}")
    if len(candidates) > 1:
        raise RowError(
            "subscriptionName",
            f"{len(candidates)} business units have a type named {name!r}; give businessUnitId",
        )
    return candidates[0]


def _opt_out(
    record: RawRecord,
    values: dict[str, str],
    context: RowContext,
    email: str,
    state: State,
    wide: str,
    source: str,
    occurred_at: int | None,
) -> OptOutRow:
    scope = wide.upper()
    if scope not in WideType.__members__:
        raise RowError("wideStatusType", f"wideStatusType must be one of {', '.join(WideType)}")
    if state is not State.UNSUBSCRIBED:
        raise RowError(
            "status", "an opt-out of all is imported as UNSUBSCRIBED (subscribing lifts it)"
        )
    if _text(values, "subscriptionId") or _text(values, "subscriptionName"):
        raise RowError("wideStatusType", "a row is either a subscription type or an opt-out")
    unit = _integer(values, "businessUnitId")
    if scope == WideType.PORTAL_WIDE:
        if unit not in (None, 0):
            raise RowError("businessUnitId", "a PORTAL_WIDE opt-out has no business unit")
        return OptOutRow(record, email, None, source, occurred_at)
    if unit is None:
        raise RowError("businessUnitId", "a BUSINESS_UNIT_WIDE opt-out needs a businessUnitId")
    if unit not in context.business_units:
        raise RowError("businessUnitId", unknown_business_unit(unit).message)
    return OptOutRow(record, email, unit, source, occurred_at)


def status_row(row: Any) -> dict[str, Any]:
    """An export row of a subscription type's stored status (store/export_queries.py)."""
    return {
        "email": row.subscriber,
        "subscriptionId": row.subscription_id,
        "subscriptionName": row.subscription_name,
        "wideStatusType": None,
        "businessUnitId": row.business_unit_id,
        "status": row.status,
        "legalBasis": row.legal_basis,
        "legalBasisExplanation": row.legal_basis_explanation,
        "timestamp": iso_ms(row.updated_at),
        "source": row.source,
    }


def opt_out_row(row: Any) -> dict[str, Any]:
    """An export row of an active opt-out of all email."""
    return {
        "email": row.subscriber,
        "subscriptionId": None,
        "subscriptionName": None,
        "wideStatusType": row.wide_type,
        "businessUnitId": row.business_unit_id,
        "status": row.status,
        "legalBasis": None,
        "legalBasisExplanation": None,
        "timestamp": iso_ms(row.updated_at),
        "source": row.source,
    }


def suppression_row(row: Any) -> dict[str, Any]:
    return {
        "email": row.subscriber,
        "reason": row.reason,
        "businessUnitId": row.business_unit_id,
        "subscriptionId": row.subscription_id,
        "since": iso_ms(row.updated_at),
        "source": row.source,
    }
