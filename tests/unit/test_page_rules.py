"""Small rules of the pages: what a box shows, readable brand colours, language codes."""

from __future__ import annotations

import pytest

from commprefs.centre.service import readable_on, shown_as_subscribed
from commprefs.domain.errors import InvalidInput
from commprefs.domain.languages import normalise_language
from commprefs.domain.preferences import State


def test_a_never_chosen_type_shows_what_happens_to_mail() -> None:
    assert shown_as_subscribed(State.NOT_SPECIFIED, gdpr=False) is True
    assert shown_as_subscribed(State.NOT_SPECIFIED, gdpr=True) is False
    for gdpr in (True, False):
        assert shown_as_subscribed(State.SUBSCRIBED, gdpr) is True
        assert shown_as_subscribed(State.UNSUBSCRIBED, gdpr) is False


@pytest.mark.parametrize(
    ("colour", "text"),
    [("#000000", "#ffffff"), ("#ffffff", "#111111"), ("#ff0", "#111111"), ("#2b5797", "#ffffff")],
)
def test_text_on_a_brand_colour_is_readable(colour: str, text: str) -> None:
    assert readable_on(colour) == text


@pytest.mark.parametrize(
    ("raw", "code"),
    [("de", "de"), ("pt-BR", "pt-br"), ("zh_Hant", "zh-hant"), ("", None), (None, None)],
)
def test_language_codes_are_normalised(raw: str | None, code: str | None) -> None:
    assert normalise_language(raw) == code


@pytest.mark.parametrize("raw", ["d", "german", "de-", "de--at", "12", "de at", "x" * 17])
def test_malformed_language_codes_name_the_field(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_language(raw)
    assert refused.value.details[0].in_ == "language"
