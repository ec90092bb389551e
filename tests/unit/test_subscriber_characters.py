"""Characters no address may hold, whichever entry point it comes through: control characters,
U+FFFD (the mark of garbled bytes) and "/" (which no path segment can hold)."""

from __future__ import annotations

import pytest

from commprefs.domain.errors import InvalidInput
from commprefs.domain.subscribers import subscriber_key

REFUSED = {
    "NUL": "a\x00b@example.com",
    "LF inside": "a\nb@example.com",
    "LF after": "ab@example.com\n",
    "CR before": "\rab@example.com",
    "tab after": "ab@example.com\t",
    "vertical tab": "ab@example.com\x0b",
    "DEL": "ab\x7f@example.com",
    "C1 NEL": "ab\x85@example.com",
    "C1 last": "ab@example.com\x9f",
    "U+FFFD": "\ufffd@example.com",
    "U+FFFD in the domain": "ab@exa\ufffdmple.com",
    "slash": "a/b@example.com",
    "slash first": "/ab@example.com",
}


@pytest.mark.parametrize("raw", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_character_is_invalid_input_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        subscriber_key(raw, field="inputs[2].subscriberIdString")
    assert [d.in_ for d in error.value.details] == ["inputs[2].subscriberIdString"]
    assert error.value.message.startswith(f"{raw!r} is not a valid email address")


def test_spaces_around_an_address_are_still_trimmed() -> None:
    assert subscriber_key("  Jane@Example.com ") == "jane@example.com"
