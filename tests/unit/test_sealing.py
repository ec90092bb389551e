"""Crypto-shredding's primitives (domain/sealing.py) and the masking of addresses in logs."""

from __future__ import annotations

import hashlib
import logging

from commprefs.api.access_log import ACCESS_LOGGER, MaskAddresses, mask_access_log
from commprefs.domain.sealing import (
    PERSONAL_FIELDS,
    new_secret,
    seal,
    subject_hash,
    unseal,
    unwrap_key,
    wrap_key,
)
from commprefs.domain.urls import masked_path

ROW = {
    "subscriber": "jane@example.com",
    "legal_basis_explanation": "ticked",
    "context": {"via": "api", "ip": "203.0.113.7", "userAgent": "curl/8"},
    "source": "x",
}


def test_sealed_fields_open_with_their_key_only() -> None:
    key = new_secret()
    sealed = seal(key, 7, 3, ROW)
    assert b"jane" not in sealed
    assert b"203.0.113.7" not in sealed
    assert unseal(key, 7, 3, sealed) == {n: ROW[n] for n in PERSONAL_FIELDS}
    nobody = dict.fromkeys(PERSONAL_FIELDS)
    assert unseal(None, 7, 3, sealed) == nobody  # erased: the key is gone
    assert unseal(new_secret(), 7, 3, sealed) == nobody  # another subject's key
    assert unseal(key, 7, 4, sealed) == nobody  # moved to another key's entries
    assert seal(key, 7, 3, ROW) != sealed  # a fresh nonce every time


def test_the_keyed_hash_needs_the_portals_secret() -> None:
    secret = new_secret()
    keyed = subject_hash(secret, "jane@example.com")
    assert keyed == subject_hash(secret, "jane@example.com")
    assert keyed != subject_hash(new_secret(), "jane@example.com")
    assert keyed != hashlib.sha256(b"jane@example.com").hexdigest()


def test_a_wrapped_key_opens_with_its_portal_and_subject_only() -> None:
    secret, data_key = new_secret(), new_secret()
    wrapped = wrap_key(secret, 7, "subject", data_key)
    assert unwrap_key(secret, 7, "subject", wrapped) == data_key
    assert data_key not in wrapped


def test_paths_in_logs_never_hold_an_address() -> None:
    assert masked_path("/communication-preferences/v4/statuses/Jane%40Example.com") == (
        "/communication-preferences/v4/statuses/***"
    )
    assert masked_path("/commprefs/v1/subscribers/a+b@x.org/history?channel=EMAIL") == (
        "/commprefs/v1/subscribers/***/history?channel=EMAIL"
    )
    assert masked_path("/x?email=jane%40x.org&y=1") == "/x?email=***&y=1"
    assert masked_path("/communication-preferences/v4/definitions") == (
        "/communication-preferences/v4/definitions"
    )


def test_uvicorns_access_log_gets_the_masked_path() -> None:
    mask_access_log()
    mask_access_log()  # once per process, however many apps are built
    logger = logging.getLogger(ACCESS_LOGGER)
    assert sum(isinstance(f, MaskAddresses) for f in logger.filters) == 1
    # What uvicorn's httptools protocol logs for a request.
    record = logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/communication-preferences/v4/statuses/jane@x.org", "1.1", 200),
        None,
    )
    (masking,) = (f for f in logger.filters if isinstance(f, MaskAddresses))
    assert masking.filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5000 - "GET /communication-preferences/v4/statuses/*** HTTP/1.1" 200'
    )
