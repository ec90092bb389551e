"""Crypto-shredding of the ledger's personal fields (erasure, GDPR Art. 17).

The personal fields of a ledger entry (PERSONAL_FIELDS) are sealed together, as one JSON object,
with AES-256-GCM under a data key of that subscriber; the chain covers the sealed bytes, so
destroying the key (erasure) leaves every entry in place and verifiable but unreadable.

Each portal has one random secret. From it come two keys: one for the keyed hash of an address
(``subject_hash``: HMAC-SHA256, the only form in which an erased address is kept, as a
suppression; a plain SHA-256 would be reversible by dictionary) and one that wraps the
subscribers' data keys (AES-256-GCM, bound to the portal and the subject).
"""

from __future__ import annotations

import functools
import hmac
import os
from collections.abc import Mapping
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# The fields of an entry that name or describe a person: sealed as one blob, never stored in
# clear. The one place they are listed (add a field here and it is sealed from then on). The
# consent context (domain/consent.py) holds the client's IP and user agent: a JSON object or None.
PERSONAL_FIELDS = ("subscriber", "legal_basis_explanation", "context")

SECRET_BYTES = 32
_NONCE_BYTES = 12
_SEAL_VERSION = b"\x01"


def new_secret() -> bytes:
    """A portal secret or a subscriber data key: 32 random bytes."""
    return os.urandom(SECRET_BYTES)


@functools.lru_cache(maxsize=1024)
def _derived(portal_secret: bytes, purpose: bytes) -> bytes:
    # Derived once per secret and purpose: every write needs them.
    return hmac.digest(portal_secret, b"commprefs-" + purpose, "sha256")


def subject_hash(portal_secret: bytes, subscriber: str) -> str:
    """The keyed hash (hex) that stands for a subscriber key in lookups and suppressions."""
    return hmac.digest(
        _derived(portal_secret, b"subject-hash"), subscriber.encode(), "sha256"
    ).hex()


def keyed_fingerprint(portal_secret: bytes | None, fingerprint: str) -> str:
    """An idempotency fingerprint (a SHA-256 of a request, which may name an address in its
    path) as it is stored: keyed with the portal's secret, so that it cannot be recomputed from
    a guessed address. Unkeyed only for a portal without a secret (none since revision 0008)."""
    if portal_secret is None:
        return fingerprint
    key = _derived(portal_secret, b"idempotency-fingerprint")
    return hmac.digest(key, fingerprint.encode(), "sha256").hex()


def _aad(portal_id: int, label: str) -> bytes:
    return f"commprefs\n{portal_id}\n{label}".encode()


def wrap_key(portal_secret: bytes, portal_id: int, subject: str, data_key: bytes) -> bytes:
    """A subscriber's data key, encrypted under the portal's key-wrapping key."""
    nonce = os.urandom(_NONCE_BYTES)
    wrapping = AESGCM(_derived(portal_secret, b"key-wrap"))
    return nonce + wrapping.encrypt(nonce, data_key, _aad(portal_id, subject))


def unwrap_key(portal_secret: bytes, portal_id: int, subject: str, wrapped: bytes) -> bytes:
    wrapping = AESGCM(_derived(portal_secret, b"key-wrap"))
    return wrapping.decrypt(
        wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], _aad(portal_id, subject)
    )


def seal(data_key: bytes, portal_id: int, key_id: int, row: Mapping[str, Any]) -> bytes:
    """The personal fields of ``row`` as one AES-256-GCM blob (version, nonce, ciphertext)."""
    plain = orjson.dumps({name: row.get(name) for name in PERSONAL_FIELDS})
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, plain, _aad(portal_id, f"key {key_id}"))
    return _SEAL_VERSION + nonce + sealed


def unseal(
    data_key: bytes | None, portal_id: int, key_id: int, sealed: bytes | None
) -> dict[str, Any]:
    """The personal fields of a sealed blob; each one None when its key is gone (erased)."""
    if data_key is None or not sealed:
        return dict.fromkeys(PERSONAL_FIELDS)
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        opened = orjson.loads(
            AESGCM(data_key).decrypt(nonce, body, _aad(portal_id, f"key {key_id}"))
        )
    except InvalidTag:
        return dict.fromkeys(PERSONAL_FIELDS)
    return {name: opened.get(name) for name in PERSONAL_FIELDS}
