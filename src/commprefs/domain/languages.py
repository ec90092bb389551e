"""Language codes of translations and links, as HubSpot uses them ("en", "pt-br", "zh-hant")."""

from __future__ import annotations

import re

from commprefs.domain.errors import InvalidInput
from commprefs.domain.preferences import Translation

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


def best_translations(
    found: dict[int, list[Translation]], language: str | None
) -> dict[int, Translation]:
    """Per type, its translation into ``language``, else into its base language ("pt-br", then
    "pt"); types with neither are left out (they show their own name)."""
    if not language:
        return {}
    candidates = [language, language.split("-", 1)[0]]
    best: dict[int, Translation] = {}
    for definition_id, translations in found.items():
        usable = [t for t in translations if t.language_code in candidates]
        if usable:
            best[definition_id] = min(usable, key=lambda t: candidates.index(t.language_code))
    return best
