"""The link token format, the key ring and CSRF tokens, as pure functions."""

from __future__ import annotations

import random

import pytest

from commprefs.domain.link_signing import (
    DAY_MS,
    KeyRing,
    check_csrf,
    configured_kid,
    csrf_token,
    sign,
    verify,
)
from commprefs.domain.links import ExpiredLink, FormExpired, InvalidLink, LinkClaims, SigningKey

NOW = 1_800_000_000_000
GRACE = 90 * DAY_MS
CLAIMS = LinkClaims(7, "jane@example.com", 2, 31, "pt-br")
STORED = [SigningKey(1, NOW - 10 * DAY_MS, None, "first-secret-0123456789abcdef0123")]


def ring(stored: list[SigningKey] = STORED, configured: str = "") -> KeyRing:
    return KeyRing.build(stored, configured, [], GRACE)


def test_a_signed_token_verifies_to_its_claims() -> None:
    token = sign(ring(), CLAIMS)

    claims, key = verify(ring(), token, NOW)

    assert claims == CLAIMS
    assert key.kid == "k1"
    assert token.startswith("k1.")


def test_optional_claims_round_trip_as_absent() -> None:
    bare = LinkClaims(7, "jane@example.com", 0)
    assert verify(ring(), sign(ring(), bare), NOW)[0] == bare


def test_a_thousand_mutations_of_a_token_are_all_refused() -> None:
    token = sign(ring(), CLAIMS)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    generator = random.Random(8058)  # noqa: S311 - seeded: reproducible mutations, not secrets
    refused = 0
    for _ in range(1000):
        chars = list(token)
        position = generator.randrange(len(chars))
        chars[position] = generator.choice(alphabet.replace(chars[position], ""))
        with pytest.raises(InvalidLink):
            verify(ring(), "".join(chars), NOW)
        refused += 1
    assert refused == 1000


def test_a_token_signed_by_another_installation_is_refused() -> None:
    other = ring([SigningKey(1, NOW, None, "someone-elses-secret-0123456789abcdef")])
    with pytest.raises(InvalidLink):
        verify(ring(), sign(other, CLAIMS), NOW)


def test_after_rotation_the_old_key_verifies_until_the_grace_period_ends() -> None:
    retired_at = NOW
    rotated = [
        SigningKey(1, NOW - DAY_MS, retired_at, STORED[0].secret),
        SigningKey(2, NOW, None, "second-secret-0123456789abcdef0123"),
    ]
    old_token = sign(ring(), CLAIMS)

    assert sign(ring(rotated), CLAIMS).startswith("k2.")
    assert verify(ring(rotated), old_token, retired_at + GRACE - 1)[0] == CLAIMS
    with pytest.raises(ExpiredLink):
        verify(ring(rotated), old_token, retired_at + GRACE)


def test_a_configured_key_signs_and_stored_keys_still_verify() -> None:
    secret = "configured-secret-0123456789abcdef0123"
    configured = ring(configured=secret)
    stored_token = sign(ring(), CLAIMS)

    token = sign(configured, CLAIMS)

    assert token.startswith(configured_kid(secret) + ".")
    assert secret not in token
    assert verify(configured, token, NOW)[0] == CLAIMS
    assert verify(configured, stored_token, NOW)[0] == CLAIMS


def test_previous_configured_keys_verify_but_do_not_sign() -> None:
    old, new = "old-configured-0123456789abcdef0123456", "new-configured-0123456789abcdef0123456"
    old_token = sign(ring(configured=old), CLAIMS)
    both = KeyRing.build([], new, [old], GRACE)

    assert verify(both, old_token, NOW)[0] == CLAIMS
    assert both.signer == configured_kid(new)


@pytest.mark.parametrize(
    "token",
    ["", "k1", "k1.abc", "k1.a.b.c", "k1..", "k1.%%%.abc", "x" * 5000, "k1.é.abc", "k9.a.b"],
)
def test_malformed_tokens_are_invalid_links(token: str) -> None:
    with pytest.raises(InvalidLink):
        verify(ring(), token, NOW)


def test_csrf_token_needs_the_cookie_nonce_this_link_and_recent_issue() -> None:
    secret = b"k" * 32
    nonce = "n" * 32
    token = csrf_token(secret, "link-a", nonce, NOW)

    check_csrf(secret, "link-a", token, nonce, NOW + DAY_MS - 1)
    failures = [
        (secret, "link-b", token, nonce, NOW),  # another link
        (secret, "link-a", token, "m" * 32, NOW),  # another browser's cookie
        (secret, "link-a", token, None, NOW),  # no cookie
        (secret, "link-a", None, nonce, NOW),  # no field
        (b"x" * 32, "link-a", token, nonce, NOW),  # another key
        (secret, "link-a", token, nonce, NOW + DAY_MS + 1),  # stale
        (secret, "link-a", token.replace(str(NOW), str(NOW + 1)), nonce, NOW),  # altered
    ]
    for args in failures:
        with pytest.raises(FormExpired):
            check_csrf(*args)


@pytest.mark.parametrize(
    ("field", "cookie"),
    [
        ("n" * 31 + "é.{now}.{mac}", "n" * 31 + "é"),  # non-ASCII on both sides
        ("{nonce}.{now}.{mac}é", "{nonce}"),
        ("{nonce}.\u0661\u0662.{mac}", "{nonce}"),  # digits to isdigit(), not to int()
        ("{nonce}.{now}\u00b2.{mac}", "{nonce}"),
        ("{nonce}." + "1" * 5000 + ".{mac}", "{nonce}"),
        ("{nonce}.{now}.{mac}\n", "{nonce}"),
        ("{nonce}.{now}.{mac}", "{nonce}\n"),
        ("{nonce}\x00.{now}.{mac}", "{nonce}\x00"),
        ("", ""),
    ],
)
def test_malformed_csrf_fields_and_cookies_are_expired_forms(field: str, cookie: str) -> None:
    secret, nonce = b"k" * 32, "n" * 32
    mac = csrf_token(secret, "link-a", nonce, NOW).rsplit(".", 1)[1]
    values = {"nonce": nonce, "now": NOW, "mac": mac}
    with pytest.raises(FormExpired):
        check_csrf(secret, "link-a", field.format(**values), cookie.format(**values), NOW)
