"""Pure functions of link signing: the token format, the key ring and CSRF tokens.

A link token is ``<kid>.<payload>.<signature>``: ``kid`` names the key (``k<id>`` for a stored
key, ``c<fingerprint>`` for a configured one); ``payload`` is base64url JSON of
``[portal, subscriber, business unit, subscription or null, language or null]``; ``signature`` is
base64url HMAC-SHA256 over the kid and the payload *as sent*. Comparing the signature's text
(not its decoded bytes) makes the token canonical: no two spellings of one link verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from commprefs.domain.links import (
    ExpiredLink,
    FormExpired,
    InvalidLink,
    KeyInfo,
    LinkClaims,
    SigningKey,
)

MAX_TOKEN_LENGTH = 2048
_TOKEN_ALPHABET = re.compile(r"^[A-Za-z0-9_.-]+$")
_LINK_DOMAIN = b"commprefs-link-v1."
_CSRF_DOMAIN = b"commprefs-csrf-v1."
_INVALID = (
    "It may have been cut short or changed on its way. "
    "Please use the link in one of our most recent emails."
)
_EXPIRED = "This link has expired. Please use the link in a more recent email."
DAY_MS = 86_400_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, domain: bytes, *parts: str) -> str:
    message = domain + ".".join(parts).encode("utf-8")
    return b64(hmac.new(secret, message, hashlib.sha256).digest())


def configured_kid(secret: str) -> str:
    """The id of a configured key: a fingerprint, so that the key itself never appears."""
    return "c" + hashlib.sha256(b"commprefs-key-id." + secret.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class RingKey:
    kid: str
    secret: bytes
    created_at: int | None
    retired_at: int | None
    verifies_until: int | None  # epoch ms; None: no expiry
    configured: bool


@dataclass(frozen=True)
class KeyRing:
    """Every key that verifies links right now, and the one that signs new links (if any)."""

    keys: dict[str, RingKey]
    signer: str | None

    @classmethod
    def build(
        cls,
        stored: Sequence[SigningKey],
        configured: str,
        previous: Iterable[str],
        grace_ms: int,
    ) -> KeyRing:
        keys: dict[str, RingKey] = {}
        for key in stored:
            until = None if key.retired_at is None else key.retired_at + grace_ms
            kid = f"k{key.id}"
            keys[kid] = RingKey(
                kid, key.secret.encode(), key.created_at, key.retired_at, until, False
            )
        for secret in previous:
            kid = configured_kid(secret)
            keys[kid] = RingKey(kid, secret.encode(), None, None, None, True)
        signer = None
        if configured:
            signer = configured_kid(configured)
            keys[signer] = RingKey(signer, configured.encode(), None, None, None, True)
        else:
            active = [k for k in stored if k.retired_at is None]
            signer = f"k{max(active, key=lambda k: k.id).id}" if active else None
        return cls(keys, signer)

    def info(self, now: int) -> list[KeyInfo]:
        return [
            KeyInfo(
                k.kid,
                k.created_at,
                k.retired_at,
                k.verifies_until,
                k.kid == self.signer,
                k.configured,
            )
            for k in self.keys.values()
            if k.verifies_until is None or k.verifies_until > now
        ]


def sign(ring: KeyRing, claims: LinkClaims) -> str:
    if ring.signer is None:
        raise RuntimeError("no signing key")  # the service creates one before signing
    key = ring.keys[ring.signer]
    body = [
        claims.portal_id,
        claims.subscriber,
        claims.business_unit_id,
        claims.subscription_id,
        claims.language,
    ]
    payload = b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{key.kid}.{payload}.{_mac(key.secret, _LINK_DOMAIN, key.kid, payload)}"


def verify(ring: KeyRing, token: str, now: int) -> tuple[LinkClaims, RingKey]:
    """The claims of a genuine, unexpired token; InvalidLink or ExpiredLink otherwise."""
    if len(token) > MAX_TOKEN_LENGTH or not _TOKEN_ALPHABET.match(token):
        raise InvalidLink(_INVALID)
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidLink(_INVALID)
    kid, payload, signature = parts
    key = ring.keys.get(kid)
    if key is None:
        raise InvalidLink(_INVALID)
    if not hmac.compare_digest(_mac(key.secret, _LINK_DOMAIN, kid, payload), signature):
        raise InvalidLink(_INVALID)
    if key.verifies_until is not None and now >= key.verifies_until:
        raise ExpiredLink(_EXPIRED)
    return _claims(payload), key


def _claims(payload: str) -> LinkClaims:
    try:
        body: Any = json.loads(_unb64(payload).decode("utf-8"))
    except ValueError:  # signed by us, so this means a bug or a key shared with a stranger
        raise InvalidLink(_INVALID) from None
    if not (isinstance(body, list) and len(body) == 5):
        raise InvalidLink(_INVALID)
    portal, subscriber, unit, subscription, language = body
    valid = (
        _is_id(portal)
        and isinstance(subscriber, str)
        and _is_id(unit)
        and (subscription is None or _is_id(subscription))
        and (language is None or isinstance(language, str))
    )
    if not valid:
        raise InvalidLink(_INVALID)
    return LinkClaims(portal, subscriber, unit, subscription, language)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


# -- CSRF: a signed double-submit token bound to the link, no server session ---------------------

CSRF_LIFETIME_MS = DAY_MS
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
# nonce.issued.signature, ASCII only: anything else is refused before it is compared (hmac
# refuses to compare non-ASCII text) or converted (int() refuses "²", which isdigit() accepts).
_CSRF_FIELD = re.compile(r"([A-Za-z0-9_-]{16,64})\.([0-9]{1,15})\.([A-Za-z0-9_-]{43})")
_MAX_CSRF_FIELD = 200
_FORM_EXPIRED = (
    "This form has expired or your browser did not send back its security cookie. "
    "Please open the link again and resubmit."
)


def csrf_token(secret: bytes, link_token: str, nonce: str, now: int) -> str:
    issued = str(now)
    return f"{nonce}.{issued}.{_mac(secret, _CSRF_DOMAIN, nonce, issued, link_token)}"


def check_csrf(
    secret: bytes, link_token: str, field: str | None, cookie: str | None, now: int
) -> None:
    """The form's token must be ours, for this link, recent, and match the cookie's nonce.
    Anything malformed, in the field or the cookie, is FormExpired like any other mismatch."""
    found = _CSRF_FIELD.fullmatch(field) if field and len(field) <= _MAX_CSRF_FIELD else None
    if found is None or not valid_nonce(cookie):
        raise FormExpired(_FORM_EXPIRED)
    nonce, issued, signature = found.groups()
    if not hmac.compare_digest(nonce, cookie):
        raise FormExpired(_FORM_EXPIRED)
    expected = _mac(secret, _CSRF_DOMAIN, nonce, issued, link_token)
    if not hmac.compare_digest(expected, signature):
        raise FormExpired(_FORM_EXPIRED)
    if not -60_000 <= now - int(issued) <= CSRF_LIFETIME_MS:
        raise FormExpired(_FORM_EXPIRED)


def valid_nonce(value: str | None) -> TypeGuard[str]:
    return bool(value and _NONCE.fullmatch(value))


# -- double opt-in (issue 16): a link that names one pending confirmation -----------------------

_CONFIRM_DOMAIN = b"commprefs-confirm-v1."
_CONFIRMATION_ID = re.compile(r"[0-9a-f]{32}")


def sign_confirmation(ring: KeyRing, confirmation_id: str) -> str:
    """``<kid>.<confirmation id>.<signature>``: the link names its confirmation, which holds
    everything else (and may expire or be used up, unlike a preference link)."""
    if ring.signer is None:
        raise RuntimeError("no signing key")  # the service creates one before signing
    key = ring.keys[ring.signer]
    return (
        f"{key.kid}.{confirmation_id}.{_mac(key.secret, _CONFIRM_DOMAIN, key.kid, confirmation_id)}"
    )


def verify_confirmation(ring: KeyRing, token: str, now: int) -> tuple[str, RingKey]:
    """The confirmation id of a genuine token; InvalidLink or ExpiredLink as for links."""
    parts = token.split(".") if len(token) <= MAX_TOKEN_LENGTH else []
    if len(parts) != 3 or not _CONFIRMATION_ID.fullmatch(parts[1]):
        raise InvalidLink(_INVALID)
    kid, confirmation_id, signature = parts
    key = ring.keys.get(kid)
    if key is None or not _TOKEN_ALPHABET.match(signature):
        raise InvalidLink(_INVALID)
    expected = _mac(key.secret, _CONFIRM_DOMAIN, kid, confirmation_id)
    if not hmac.compare_digest(expected, signature):
        raise InvalidLink(_INVALID)
    if key.verifies_until is not None and now >= key.verifies_until:
        raise ExpiredLink(_EXPIRED)
    return confirmation_id, key
