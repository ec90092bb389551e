"""OAuth's pure rules (domain/oauth.py): scopes an app may hold or grant, redirect URIs, which
bearer secrets are OAuth access tokens, and the words of an expired token's 401."""

from __future__ import annotations

import pytest

from commprefs.domain.errors import InvalidInput
from commprefs.domain.oauth import (
    ExpiredAuthentication,
    checked_scopes,
    is_access_token,
    redirect_uri,
)

READ, WRITE = "communication_preferences.read", "communication_preferences.write"


def test_scopes_are_sorted_deduplicated_and_held_to_what_is_allowed() -> None:
    assert checked_scopes([WRITE, " " + READ, WRITE]) == [READ, WRITE]
    with pytest.raises(InvalidInput) as unknown:
        checked_scopes([READ, "contacts"])
    assert unknown.value.details[0].in_ == "scopes"
    with pytest.raises(InvalidInput):
        checked_scopes([WRITE], allowed=[READ])  # an app grants only its own scopes
    with pytest.raises(InvalidInput):
        checked_scopes([" ", ""])


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("https://app.example.com/cb", "https://app.example.com/cb"),
        (" http://127.0.0.1:3000/oauth?x=1 ", "http://127.0.0.1:3000/oauth?x=1"),
        ("https://bücher.example/cb", "https://xn--bcher-kva.example/cb"),
    ],
)
def test_redirect_uris_are_normalised(raw: str, stored: str) -> None:
    assert redirect_uri(raw) == stored


@pytest.mark.parametrize(
    "raw", ["ftp://app.example.com/cb", "https://user:pw@app.example.com/", "/cb", "https://a b/"]
)
def test_other_redirect_uris_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        redirect_uri(raw)
    assert refused.value.details[0].in_ == "redirectUri"


def test_only_prefixed_secrets_are_oauth_access_tokens() -> None:
    assert is_access_token("cpoat-abc")
    assert not is_access_token("cpat-abc")
    assert not is_access_token("cport-abc")
    assert not is_access_token(None)


def test_an_expired_token_says_how_long_ago_in_whole_minutes() -> None:
    assert ExpiredAuthentication.since(0).message.endswith("expired 0 minute(s) ago.")
    assert ExpiredAuthentication.since(5 * 60_000 + 59_999).message.endswith("5 minute(s) ago.")
    assert ExpiredAuthentication.since(1).category == "EXPIRED_AUTHENTICATION"
    assert ExpiredAuthentication.since(1).status_code == 401
