"""Language codes of translations and links, as HubSpot uses them ("en", "pt-br", "zh-hant")."""

from __future__ import annotations

import re

from commprefs.domain.errors import InvalidInput

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}$")
MAX_LANGUAGE_LENGTH = 16  # definition_translations.language_code


def normalise_language(raw: str | None) -> str | None:
    """``None`` or a lower-case language code; InvalidInput naming ``language`` otherwise."""
    if raw is None or not raw.strip():
        return None
    code = raw.strip().replace("_", "-").lower()
    if len(code) > MAX_LANGUAGE_LENGTH or not _LANGUAGE.match(code):
        raise InvalidInput.field(
            "language", f"{raw!r} is not a language code such as 'en', 'de' or 'pt-br'."
        )
    return code
