"""Which translation of each subscription type a subscriber reads, for the pages and the double
opt-in mail alike (the rule itself: domain/languages.best_translations, which the console's
preview shares)."""

from __future__ import annotations

from commprefs.domain.languages import best_translations
from commprefs.domain.preferences import Translation
from commprefs.store.interface import Repository, Transactions


async def translations_in(
    database: Transactions[Repository], language: str | None, ids: list[int]
) -> dict[int, Translation]:
    """The best translation in ``language`` of each type that has one: the language itself,
    else the language without its region ("pt-br", then "pt")."""
    if not language:
        return {}
    async with database.read() as repo:
        found = await repo.translations(ids)
    return best_translations(found, language)
