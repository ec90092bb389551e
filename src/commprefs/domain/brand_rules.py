"""The rules of a business unit's branding values, applied where branding is set (refusing a bad
value naming its field) and again where the pages show it, so that a value an older version
stored, or someone wrote into the database, is shown safe or not at all."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult

from commprefs.domain.errors import InvalidInput
from commprefs.domain.urls import UnsafeUrl, normalise, origin

_COLOUR = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")
MAX_LOGO_URL_LENGTH = 2000  # business_units.brand_logo_url


def brand_colour(value: str) -> str:
    colour = value.lower()
    if not _COLOUR.fullmatch(colour):  # repr: a line break in the value stays on one line
        raise InvalidInput.field("colour", f"{value!r} is not a colour like #1a73e8 or #333.")
    return colour


def brand_logo_url(value: str) -> str:
    """An https image URL, normalised for the pages' Content-Security-Policy (urls.py)."""
    return _logo(value).geturl()


def shown_colour(stored: str | None) -> str | None:
    """A stored colour if it is one, else None (the default)."""
    return stored if stored and _COLOUR.fullmatch(stored) else None


@lru_cache(maxsize=1024)
def shown_logo(stored: str | None) -> tuple[str, str] | None:
    """A stored logo URL as the pages show it, with its origin (the CSP image source); None
    if it would not be accepted today. Cached: pages ask for the same few logos again and again."""
    if not stored:
        return None
    try:
        parts = _logo(stored)
    except InvalidInput:
        return None
    return parts.geturl(), origin(parts)


def _logo(value: str) -> SplitResult:
    try:
        return normalise(value, ("https",), max_length=MAX_LOGO_URL_LENGTH)
    except UnsafeUrl as reason:
        raise InvalidInput.field("logoUrl", f"The logo URL {reason}.") from None
