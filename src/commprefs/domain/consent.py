"""Consent context: who, from where and through what a change was asked for (issue 16).

Every ledger entry of a change carries the context of the transaction that made it, as one JSON
object with sorted keys (``canonical``), covered by the entry's hash. ``via`` says which entry
point acted: ``api`` (the token, client IP and user agent), ``pages`` (IP, user agent, the page
and form, the link's identifier and language), ``import`` (its id, file name and, from the CLI,
the acting user) and ``confirmation`` (the proof of a double opt-in).

Client addresses are only ever believed from the TCP peer, or from ``X-Forwarded-For`` when the
peer is one of the operator's trusted proxies (``client_ip``), and are kept whole, truncated to
their /24 or /48 network, or not at all (``minimised_ip``): data minimisation is the operator's
call.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import orjson

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

IP_FULL = "full"
IP_TRUNCATED = "truncated"
IP_OFF = "off"
IP_MODES = (IP_FULL, IP_TRUNCATED, IP_OFF)

MAX_USER_AGENT = 500  # longer user agents are cut: they are evidence, not a storage channel
MAX_FORWARDED_HOPS = 32
_V4_MASK = (2**32 - 1) ^ (2**8 - 1)  # keeps the /24
_V6_MASK = (2**128 - 1) ^ (2**80 - 1)  # keeps the /48


def canonical(context: Mapping[str, Any] | None) -> str | None:
    """The stored (and hashed) text of a context: JSON, keys sorted, no whitespace."""
    if context is None:
        return None
    return orjson.dumps(dict(context), option=orjson.OPT_SORT_KEYS).decode()


def parsed(text: str | None) -> dict[str, Any] | None:
    """A stored context back as a mapping."""
    if text is None:
        return None
    found: dict[str, Any] = orjson.loads(text)
    return found


def trusted_networks(text: str) -> tuple[IpNetwork, ...]:
    """``COMMPREFS_TRUSTED_PROXIES``: comma-separated addresses or CIDRs; ValueError if not."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    candidate = text.strip()
    if candidate.startswith("[") and "]" in candidate:  # "[2001:db8::1]:443"
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:  # "203.0.113.7:5000"
        candidate = candidate.split(":", 1)[0]
    try:
        found = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[IpNetwork]
) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def client_ip(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IpNetwork]
) -> str | None:
    """The client's address: the TCP peer, unless the peer is a trusted proxy; then the
    rightmost address of ``X-Forwarded-For`` (all its headers, in order) that is not itself a
    trusted proxy. Nobody else's ``X-Forwarded-For`` is believed, and a malformed hop ends the
    walk at the last address that was trustworthy."""
    if not peer:
        return None
    if not proxies:  # the common case, on every request: the peer as the server reports it
        return peer
    address = _address(peer)
    if address is None:
        return None
    if not _trusted(address, proxies):
        return str(address)
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops[-MAX_FORWARDED_HOPS:]):
        found = _address(hop)
        if found is None:
            break
        address = found
        if not _trusted(address, proxies):
            break
    return str(address)


def minimised_ip(address: str | None, mode: str) -> str | None:
    """``address`` as the operator keeps addresses: whole, its /24 (IPv4) or /48 (IPv6)
    network's first address, or nothing."""
    if address is None or mode == IP_OFF:
        return None
    if mode == IP_FULL:
        return address
    found = _address(address)
    if found is None:  # not an IP address (a Unix socket's peer): nothing to keep of it
        return None
    if isinstance(found, ipaddress.IPv4Address):
        return str(ipaddress.IPv4Address(int(found) & _V4_MASK))
    return str(ipaddress.IPv6Address(int(found) & _V6_MASK))


def user_agent(value: str | None) -> str | None:
    if not value:
        return None
    return value[:MAX_USER_AGENT]


def link_identifier(token: str) -> str:
    """What the ledger keeps of a link: a hash of its token, which identifies the link among
    those sent (given the token) but cannot be turned back into one."""
    return hashlib.sha256(b"commprefs-link-id." + token.encode()).hexdigest()[:32]


def without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class Headers(Protocol):
    """A request's headers as Starlette gives them."""

    def get(self, key: str) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


def origin(
    client: Sequence[Any] | None,
    headers: Headers,
    proxies: Sequence[IpNetwork],
    ip_mode: str,
) -> dict[str, Any]:
    """The ``ip`` and ``userAgent`` of a request's context (``client``: the ASGI scope's
    (host, port) of the TCP peer), as the operator keeps them."""
    peer = str(client[0]) if client else None
    forwarded = headers.getlist("x-forwarded-for") if proxies else ()
    address = client_ip(peer, forwarded, proxies)
    agent = user_agent(headers.get("user-agent"))
    return without_none({"ip": minimised_ip(address, ip_mode), "userAgent": agent})
