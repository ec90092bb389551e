"""``DELETE /commprefs/v1/subscribers/{subscriberIdString}``: erasure of a data subject (GDPR
Art. 17, issue 16), behind the scope ``commprefs.subjects.erase`` that no default token holds.

The answer never holds the address: only its keyed hash, which downstream systems are sent too
(the ``subscriber.erased`` change event).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from commprefs.api.deps import require, services
from commprefs.api.params import SubscriberPath
from commprefs.api.responses import JSONBody
from commprefs.domain.bodies import render_erasure
from commprefs.domain.preferences import Actor
from commprefs.domain.tokens import ERASE_SUBJECTS


class Erased(BaseModel):
    """The address is erased: its keyed hash (HMAC-SHA256 with the account's secret)."""

    subscriberHash: str  # noqa: N815 - camelCase wire names, as HubSpot's
    erasedAt: datetime  # noqa: N815


def add_erasure(router: APIRouter, api: str) -> None:
    eraser = require(ERASE_SUBJECTS, api)

    @router.delete(
        "/subscribers/{subscriberIdString}",
        response_model=Erased,
        summary="Erase a subscriber: personal data destroyed, the address suppressed",
    )
    async def erase(
        request: Request, subscriber: SubscriberPath, actor: Actor = Depends(eraser)
    ) -> Response:
        erased = await services(request).erasure.erase(actor, subscriber)
        return JSONBody(render_erasure(erased.subject_hash, erased.erased_at))
