"""The pure rules of consent context (domain/consent.py): whose X-Forwarded-For is believed, how
much of an address is kept, and how the context joins the hash chain."""

from __future__ import annotations

import hashlib
import json

import pytest
from pydantic import ValidationError

from commprefs.config import Settings
from commprefs.domain.chain import GENESIS, entry_hash
from commprefs.domain.consent import (
    canonical,
    client_ip,
    link_identifier,
    minimised_ip,
    trusted_networks,
)
from tests.unit.test_ledger_chain import ENTRY

PROXIES = trusted_networks("127.0.0.1, 10.0.0.0/8, fd00::/8")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("192.0.2.10", ["198.51.100.7"], "192.0.2.10"),  # not a proxy: its header is ignored
        ("127.0.0.1", [], "127.0.0.1"),  # a proxy that names nobody
        ("127.0.0.1", ["198.51.100.7"], "198.51.100.7"),
        # The client may write anything left of what our proxies appended: the rightmost
        # address that is not one of them is the client.
        ("127.0.0.1", ["6.6.6.6, 198.51.100.7, 10.1.2.3"], "198.51.100.7"),
        ("127.0.0.1", ["6.6.6.6", "198.51.100.7"], "198.51.100.7"),  # several headers, in order
        ("127.0.0.1", ["garbage, 10.1.2.3"], "10.1.2.3"),  # a malformed hop ends the walk
        ("127.0.0.1", ["[2001:db8::5]:443"], "2001:db8::5"),
        ("127.0.0.1", ["198.51.100.7:5000"], "198.51.100.7"),
        ("::ffff:127.0.0.1", ["198.51.100.7"], "198.51.100.7"),  # IPv4-mapped peer
        ("fd00::1", ["2001:db8:1:2::9"], "2001:db8:1:2::9"),
        (None, ["198.51.100.7"], None),
    ],
)
def test_only_trusted_proxies_are_believed(
    peer: str | None, forwarded: list[str], client: str | None
) -> None:
    assert client_ip(peer, forwarded, PROXIES) == client


def test_without_trusted_proxies_nobody_is_believed() -> None:
    assert client_ip("127.0.0.1", ["198.51.100.7"], ()) == "127.0.0.1"


@pytest.mark.parametrize(
    ("mode", "v4", "v6"),
    [
        ("full", "198.51.100.77", "2001:db8:abcd:12::1"),
        ("truncated", "198.51.100.0", "2001:db8:abcd::"),
        ("off", None, None),
    ],
)
def test_addresses_are_kept_as_the_operator_chose(
    mode: str, v4: str | None, v6: str | None
) -> None:
    assert minimised_ip("198.51.100.77", mode) == v4
    assert minimised_ip("2001:db8:abcd:12::1", mode) == v6


def test_a_peer_that_is_no_ip_address_is_never_a_fault() -> None:
    assert minimised_ip("testclient", "truncated") is None
    assert client_ip("testclient", ["198.51.100.7"], PROXIES) is None


def test_bad_settings_fail_at_start_up() -> None:
    with pytest.raises(ValidationError, match="consent IP"):
        Settings(consent_ip="hashed")
    with pytest.raises(ValidationError, match="trusted proxies"):
        Settings(trusted_proxies="10.0.0.0/33")
    with pytest.raises(ValidationError, match="SMTP URL"):
        Settings(smtp_url="http://mail.example")


def test_context_is_hashed_when_present_and_entries_without_it_hash_as_before() -> None:
    context = canonical({"via": "api", "ip": "127.0.0.1", "tokenId": 3})
    assert context == '{"ip":"127.0.0.1","tokenId":3,"via":"api"}'
    before = entry_hash(GENESIS, ENTRY)
    assert entry_hash(GENESIS, {**ENTRY, "context": None}) == before
    with_context = entry_hash(GENESIS, {**ENTRY, "context": context})
    record = json.dumps(
        {**ENTRY, "context": context}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    spelled_out = hashlib.sha256(
        b"commprefs-ledger-v1\n" + GENESIS.encode() + b"\n" + record.encode()
    ).hexdigest()
    assert with_context == spelled_out != before
    other = canonical({"via": "api", "ip": "127.0.0.2", "tokenId": 3})
    assert entry_hash(GENESIS, {**ENTRY, "context": other}) != with_context


def test_a_link_is_kept_as_a_hash_of_its_token() -> None:
    token = "k1.payload.signature"
    assert link_identifier(token) == link_identifier(token)
    assert len(link_identifier(token)) == 32
    assert token not in link_identifier(token)
    assert link_identifier(token + "x") != link_identifier(token)
