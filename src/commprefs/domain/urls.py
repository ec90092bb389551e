"""Absolute http(s) URLs that settings and branding put into headers: the public URL (links in
``List-Unsubscribe``, the pages' cookie path) and logo URLs (the pages' Content-Security-Policy).

A URL is checked and normalised once, where it is set: an ASCII host (IDNA, mapped as browsers
map it), no user name or password, and none of the characters that end a header, a CSP
directive or source list, or an HTML attribute; other non-ASCII is percent-encoded. A refusal
says why in a few words and never repeats the value, which may hold line breaks.

And the one rule for showing a URL that may hold a password (database, Redis, webhook URLs in
logs, errors and output): ``redacted_url``.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import idna

# CR and LF end a header; ";" a CSP directive, "," and spaces a source, quotes and <> an HTML
# attribute; browsers read "\" as "/". Control, format and separator characters (Unicode C*, Z*)
# are refused too: spaces, zero-width and bidi controls.
_FORBIDDEN = frozenset(";,\"'`<>\\")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
FORBIDDEN_TEXT = "spaces, control characters or any of ; , ' \" ` < > \\"


class UnsafeUrl(ValueError):
    """Why a URL is refused, as words that follow "The … URL": "must use https"."""


def normalise(
    raw: str, schemes: tuple[str, ...], *, ip_literals: bool = False, max_length: int = 2000
) -> SplitResult:
    """``raw`` made safe for a header, split; UnsafeUrl if it cannot be. ``ip_literals``
    allows a bracketed IPv6 host (a CSP source cannot name one)."""
    if len(raw) > max_length:
        raise UnsafeUrl(f"must be at most {max_length} characters")
    if any(c in _FORBIDDEN or unicodedata.category(c)[0] in "CZ" for c in raw):
        raise UnsafeUrl(f"must not contain {FORBIDDEN_TEXT}")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:  # a bad port or an unclosed "["
        raise UnsafeUrl("has an invalid host or port") from None
    if parts.scheme not in schemes:  # urlsplit lower-cases the scheme
        raise UnsafeUrl("must start with " + " or ".join(f"{s}://" for s in schemes))
    if "@" in parts.netloc:
        raise UnsafeUrl("must not contain a user name or password")
    host = _ascii_host(parts.hostname or "", ip_literals)
    netloc = host if port is None else f"{host}:{port}"
    path, query, fragment = (
        quote(part, safe=_PRINTABLE_ASCII) for part in (parts.path, parts.query, parts.fragment)
    )
    url = urlunsplit((parts.scheme, netloc, path, query, fragment))
    if len(url) > max_length:
        raise UnsafeUrl(f"must be at most {max_length} characters once made ASCII")
    return urlsplit(url)


def origin(parts: SplitResult) -> str:
    """The origin of a normalised URL, as a CSP source: ``https://host[:port]``."""
    return f"{parts.scheme}://{parts.netloc}"


def _ascii_host(host: str, ip_literals: bool) -> str:
    if ip_literals and ":" in host:
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise UnsafeUrl("has an invalid host") from None
    try:
        # UTS 46 non-transitional: the ASCII name a browser looks up for the host as written.
        ascii_host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        raise UnsafeUrl("has an invalid host name") from None
    if not all(_LABEL.fullmatch(label) for label in ascii_host.split(".")):
        raise UnsafeUrl("has an invalid host name")
    return ascii_host


def redacted_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for logs and error messages."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    credentials, at, host = authority.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


# A path segment or query value that holds an address: "@", raw or percent-encoded.
_ADDRESS_PART = re.compile(r"[^/?&=]*(?:@|%40)[^/?&=]*", re.IGNORECASE)


def masked_path(path: str) -> str:
    """``path`` (with or without its query) with every part that holds an email address replaced
    by ``***``, for logs: access logs and our own lines never hold an address (issue 16)."""
    return _ADDRESS_PART.sub("***", path)
