"""The faults' one set of words (domain/faults.py), each naming the field at fault."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from commprefs.domain.errors import InvalidInput
from commprefs.domain.faults import active_definition, check_legal_basis_value
from commprefs.domain.preferences import Definition, LegalBasis


def definition(active: bool) -> Definition:
    return Definition(7, 1, 0, "News", "d", "", "Email", active, False, False, 100, 100)


def refusal(check: Callable[..., object], *args: object) -> tuple[list[str | None], str]:
    with pytest.raises(InvalidInput) as refused:
        check(*args)
    return [d.in_ for d in refused.value.details], refused.value.message


def test_a_change_needs_an_active_type_of_the_account() -> None:
    assert active_definition(definition(True), 7) == definition(True)
    assert refusal(active_definition, None, 7) == (
        ["subscriptionId"],
        "Subscription 7 does not exist in this account.",
    )
    assert refusal(active_definition, definition(False), 7) == (
        ["subscriptionId"],
        "Subscription 7 is not active.",
    )


def test_a_legal_basis_is_one_of_hubspots_or_none() -> None:
    for value in (None, *LegalBasis):
        check_legal_basis_value(value)
    fields, message = refusal(check_legal_basis_value, "consent_with_notice")
    assert fields == ["legalBasis"]
    assert "'consent_with_notice'" in message
