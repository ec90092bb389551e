"""The rule for URLs that end up in headers (domain/urls.py), as the public URL setting and
branding apply it: what is made ASCII, what is refused, and that a refusal is one line that
never repeats the value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from commprefs.config import Settings
from commprefs.domain.brand_rules import brand_logo_url, shown_colour, shown_logo
from commprefs.domain.errors import InvalidInput
from commprefs.domain.urls import UnsafeUrl, normalise, origin

HOSTILE = [
    "https://cdn.example/a;b",
    "https://cdn.example/a,b",
    "https://cdn.example/\r\nSet-Cookie: x=1",
    "https://cdn.example/\x00",
    "https://cdn.example/\u2028",
    "https://cdn.example/\u200b",
    "https://\u202ecdn.example/",
    "https://user:secret@cdn.example/",
    "https://cdn.example\\@evil.example/",
    "https://cdn.example/'",
    "https://cdn.example:65536/",
    "https://[::1/",
    "https://a..b/",
    "https://a_b.example/",
    "https://",
]


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("https://пример.example/l.png", "https://xn--e1afmkfd.example/l.png"),
        ("https://bücher.example:444/", "https://xn--bcher-kva.example:444/"),
        ("HTTPS://CDN.Example/Ä.png?q=ü#ö", "https://cdn.example/%C3%84.png?q=%C3%BC#%C3%B6"),
        ("https://cdn.example/%0D%0A", "https://cdn.example/%0D%0A"),  # escapes stay escapes
    ],
)
def test_urls_are_made_ascii(raw: str, url: str) -> None:
    parts = normalise(raw, ("https",))
    assert parts.geturl() == url
    assert origin(parts) == url.split("/", 3)[0] + "//" + url.split("/", 3)[2]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_urls_are_refused_without_repeating_them(raw: str) -> None:
    with pytest.raises(UnsafeUrl) as refused:
        normalise(raw, ("https",))
    reason = str(refused.value)
    assert reason.isascii()
    assert "\n" not in reason
    assert "secret" not in reason
    assert "cdn.example" not in reason


def test_only_the_schemes_asked_for_are_taken() -> None:
    with pytest.raises(UnsafeUrl, match="must start with https://"):
        normalise("http://cdn.example/", ("https",))
    assert normalise("http://cdn.example/", ("http", "https")).geturl() == "http://cdn.example/"


def test_ip_literals_only_where_asked_for() -> None:
    with pytest.raises(UnsafeUrl):
        normalise("https://[::1]/", ("https",))  # a CSP source cannot name one
    assert normalise("http://[0::1]:80/", ("http",), ip_literals=True).netloc == "[::1]:80"


@pytest.mark.parametrize(
    ("raw", "public_url"),
    [
        ("https://ПРИМЕР.example/Prefs/", "https://xn--e1afmkfd.example/Prefs"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::]:8080/", "http://[::]:8080"),
    ],
)
def test_the_public_url_is_normalised(raw: str, public_url: str) -> None:
    assert Settings(public_url=raw).public_url == public_url


@pytest.mark.parametrize(
    "raw", [*HOSTILE, "https://prefs.example/?x=1", "https://prefs.example/#f", "ftp://x.example"]
)
def test_a_hostile_public_url_fails_at_start_up(raw: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(public_url=raw)
    (error,) = refused.value.errors()
    assert error["loc"] == ("public_url",)
    assert "\n" not in error["msg"]


def test_logo_urls_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        brand_logo_url("https://user:secret@cdn.example/l.png")
    assert refused.value.details[0].in_ == "logoUrl"
    assert refused.value.message == "The logo URL must not contain a user name or password."


def test_stored_branding_is_shown_only_when_valid_today() -> None:
    assert shown_logo("https://пример.example/l.png") == (
        "https://xn--e1afmkfd.example/l.png",
        "https://xn--e1afmkfd.example",
    )
    assert shown_logo("http://cdn.example/l.png") is None
    assert shown_logo("https://cdn.example; script-src *") is None
    assert shown_logo(None) is None
    assert shown_colour("#1b6f5c") == "#1b6f5c"
    assert shown_colour("#zz;}{x") is None
