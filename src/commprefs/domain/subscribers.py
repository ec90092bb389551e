"""Subscriber ids: email addresses, validated and keyed case-insensitively (DESIGN.md)."""

from __future__ import annotations

import functools
import json
import re
from urllib.parse import quote

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from commprefs.domain.errors import InvalidInput

MAX_ADDRESS_LENGTH = 254  # RFC 5321 path limit

# Most addresses are plain ASCII: a dot-atom of letters, digits and ``_+-`` before the @-sign,
# letter-digit-hyphen labels (at most 63 long) after it. email_validator accepts every such
# address of at most 254 characters unchanged but for the domain's case, so these skip it (it
# costs ~20 µs an address, a batch has a hundred, and a cache only helps addresses seen
# lately). Labels with ``--`` (Punycode, R-LDH) and reserved domains take the full path.
_PLAIN = re.compile(
    r"[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)"
)
# ".local" and its subdomains, as "." + domain ends; .test is welcome (development and CI).
_RESERVED = tuple(f".{d}" for d in SPECIAL_USE_DOMAIN_NAMES if d != "test")
# Refused anywhere in what a client sends, even where trimming would drop them: control
# characters (C0, DEL, C1), which no address holds and which would make several spellings one
# address; U+FFFD, which decoders put for bytes that are not UTF-8 and api.middleware for a
# malformed percent-escape: an address garbled on its way, and different garbled addresses
# would all be the same one; and "/", which RFC 5322 allows but no path segment can hold (%2F
# is decoded before routing): such an address could be written through a body but never read
# or changed on a path route.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ufffd/]")
_WHY_REFUSED = {
    "\ufffd": "it holds U+FFFD, the mark of bytes that are not UTF-8 or of a malformed "
    "percent-escape: it was garbled on its way",
    "/": "it holds '/', which this service does not accept in addresses (no path could name it)",
}


def subscriber_key(raw: str, field: str = "subscriberIdString") -> str:
    """The stored key of an address: lower-cased, IDNA domain. Dots and +tags are kept.

    Raises InvalidInput naming ``field`` for anything that is not an email address.
    """
    text = raw if isinstance(raw, str) else ""
    candidate = text.strip()
    if not candidate:
        raise InvalidInput.field(field, "An email address is required.", "MISSING_FIELD")
    if len(candidate) > MAX_ADDRESS_LENGTH:
        raise InvalidInput.field(
            field, f"Email addresses are at most {MAX_ADDRESS_LENGTH} characters."
        )
    plain = _PLAIN.fullmatch(candidate)
    # The quick path's alphabet holds no refused character; what trimming took off may.
    if plain is None or len(candidate) != len(text):
        _refuse_characters(text, field)
    if (
        plain is not None
        and "--" not in plain[1]
        and not f".{plain[1].lower()}".endswith(_RESERVED)
    ):
        return candidate.lower()
    key, problem = _parse(candidate)
    if key is None:
        raise InvalidInput.field(field, problem)
    return key


def _refuse_characters(text: str, field: str) -> None:
    refused = _REFUSED.search(text)
    if refused is not None:
        char = refused[0]
        why = _WHY_REFUSED.get(char, f"it holds the control character U+{ord(char):04X}")
        raise InvalidInput.field(field, f"{text!r} is not a valid email address: {why}.")


# Parsing an address is most of the CPU of a one-subscriber request (email_validator, IDNA);
# the same addresses come back again and again, and the answer never changes.
@functools.lru_cache(maxsize=32_768)
def _parse(candidate: str) -> tuple[str | None, str]:
    """(the key, "") for a valid address; (None, why not) otherwise."""
    try:
        # Deliverability is the mail system's business; .test addresses are welcome because
        # development and CI use them.
        parsed = validate_email(
            candidate, check_deliverability=False, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError as exc:
        return None, f"{candidate!r} is not a valid email address: {exc}"
    domain = parsed.ascii_domain
    if "." not in domain:
        return None, f"{candidate!r} is not a valid email address."
    return f"{parsed.local_part.lower()}@{domain.lower()}", ""


def storable_text(field: str, value: str | None, max_length: int = 2000) -> None:
    """Free text a database can keep: PostgreSQL refuses NUL characters in text columns."""
    if value is None:
        return
    if "\x00" in value:
        raise InvalidInput.field(field, f"{field} must not contain NUL characters.")
    if len(value) > max_length:
        raise InvalidInput.field(field, f"{field} is at most {max_length} characters.")


def spellings(given: str, key: str) -> list[str]:
    """The forms in which an address may sit in what the store keeps (a stored reply, a
    rejected import row, a path): as given, as keyed, lower-cased, as a JSON string holds them
    (with and without escaped non-ASCII) and percent-encoded. What an access request searches
    for and an erasure removes (subjects/)."""
    forms = [given, given.strip(), key, given.strip().lower()]
    forms += [json.dumps(f, ensure_ascii=False)[1:-1] for f in forms]
    forms += [json.dumps(f)[1:-1] for f in forms[:4]]
    forms += [quote(f, safe=safe) for f in forms[:4] for safe in ("", "@")]
    return [form for form in dict.fromkeys(forms) if form]
