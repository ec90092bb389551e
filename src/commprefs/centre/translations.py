"""Which translation of each subscription type a subscriber reads, for the pages and the double
opt-in mail alike."""

from __future__ import annotations

from commprefs.domain.preferences import Translation
from commprefs.store.interface import Repository, Transactions


async def translations_in(
    database: Transactions[Repository], language: str | None, ids: list[int]
) -> dict[int, Translation]:
    """The best translation in ``language`` of each type that has one: the language itself,
    else the language without its region ("pt-br", then "pt")."""
    if not language:
        return {}
    candidates = [language, language.split("-", 1)[0]]
    async with database.read() as repo:
        found = await repo.translations(ids)
    best: dict[int, Translation] = {}
    for definition_id, translations in found.items():
        usable = [t for t in translations if t.language_code in candidates]
        if usable:
            best[definition_id] = min(usable, key=lambda t: candidates.index(t.language_code))
    return best
