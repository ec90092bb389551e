"""The data subjects' rights in the console (issue 16's Art. 15 and Art. 17, issue 17's buttons),
on the services the API and the CLI use: the subject export (subjects/export.py) and the erasure
(subjects/erasure.py). Admins only (viewers only read, and an export is personal data); an
erasure only once the address is typed again, recorded in the ledger with ``api`` "console" and
the user, by id, in its source (the operator's address stays out of the unerasable entry)."""

from __future__ import annotations

from typing import Any

from commprefs.domain.errors import InvalidInput
from commprefs.domain.ledger import SOURCE_ERASED
from commprefs.domain.operators import ConsoleUser
from commprefs.domain.subscribers import subscriber_key
from commprefs.operators.changes import console_actor
from commprefs.operators.service import require_admin
from commprefs.subjects.erasure import Erasure, ErasureService
from commprefs.subjects.export import SubjectExport


def erasure_source(user: ConsoleUser) -> str:
    """The ledger's source of a console erasure: the request, and who carried it out."""
    return f"{SOURCE_ERASED} by console user {user.id}"


class ConsoleSubjects:
    def __init__(self, subjects: SubjectExport, erasure: ErasureService) -> None:
        self.subjects = subjects
        self.erasure = erasure

    async def export(self, user: ConsoleUser, address: str) -> dict[str, Any]:
        """The subject export of ``address`` in the user's portal (the API's document)."""
        require_admin(user)
        return await self.subjects.export(user.portal_id, address)

    async def erase(self, user: ConsoleUser, request_id: str, address: str, typed: str) -> Erasure:
        """Erase ``address`` from the user's portal once ``typed`` names the same address."""
        require_admin(user)
        if not _same_address(subscriber_key(address), typed):
            raise InvalidInput.field(
                "confirmation", "Type the address again to confirm its erasure.", "MISSING_FIELD"
            )
        actor = console_actor(user, request_id)
        return await self.erasure.erase(actor, address, erasure_source(user))


def _same_address(key: str, typed: str) -> bool:
    """Whether ``typed`` is a spelling of the address stored as ``key`` (case, IDNA aside)."""
    try:
        return subscriber_key(typed, "confirmation") == key
    except InvalidInput:
        return False
