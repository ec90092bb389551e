from __future__ import annotations

import pytest

from commprefs.errors import InvalidInput
from commprefs.preferences.subscribers import subscriber_key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Jane@Example.com", "jane@example.com"),
        ("first.last+tag@example.com", "first.last+tag@example.com"),
        ("user@Bücher.de", "user@xn--bcher-kva.de"),
        ("  padded@example.com ", "padded@example.com"),
        ("dev@service.test", "dev@service.test"),
    ],
)
def test_addresses_are_keyed_lower_case_with_an_idna_domain(raw: str, key: str) -> None:
    assert subscriber_key(raw) == key


@pytest.mark.parametrize(
    "raw", ["", "plain", "a@b", "@example.com", "a@@example.com", "x" * 250 + "@example.com"]
)
def test_anything_else_is_invalid_input_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        subscriber_key(raw, field="inputs[3]")
    assert error.value.details[0].in_ == "inputs[3]"
