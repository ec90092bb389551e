"""``/commprefs/v1``: the consent ledger over HTTP (ours, outside HubSpot's paths; same tokens).

GET /commprefs/v1/subscribers/{subscriberIdString}/history — every change, in recorded order
GET /commprefs/v1/subscribers/{subscriberIdString}/state?asOf=… — the statuses at a moment
DELETE /commprefs/v1/subscribers/{subscriberIdString} — erasure (api/commprefs_v1/erasure.py)

and issue 16's confirmations and export (api/commprefs_v1/subjects.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from commprefs.api.commprefs_v1.erasure import add_erasure
from commprefs.api.commprefs_v1.schemas import History, SubscriberState
from commprefs.api.commprefs_v1.subjects import add_subject_routes
from commprefs.api.deps import require, services
from commprefs.api.params import INT64_MAX, BusinessUnitQuery, ChannelQuery, SubscriberPath
from commprefs.api.responses import JSONBody
from commprefs.api.routing import ApiRoute
from commprefs.api.v4.schemas import Error
from commprefs.domain.bodies import render_history, render_state
from commprefs.domain.clock import InstantError, parse_instant
from commprefs.domain.errors import InvalidInput
from commprefs.domain.preferences import Actor
from commprefs.domain.tokens import READ_STATUS
from commprefs.ledger.service import MAX_PAGE

API = "commprefs-v1"
PREFIX = "/commprefs/v1"

AfterQuery = Annotated[
    int, Query(alias="after", ge=0, le=INT64_MAX, description="Continue after this sequence.")
]
LimitQuery = Annotated[int, Query(alias="limit", ge=1, le=MAX_PAGE, description="Page size.")]
AsOfQuery = Annotated[
    str | None,
    Query(alias="asOf", max_length=64, description="ISO-8601 instant or epoch ms; now if absent."),
]


def build_router() -> APIRouter:
    # ApiRoute: a body that is not JSON (the confirmation request's) is reported after
    # authentication, as on HubSpot's paths (api/routing.py).
    router = APIRouter(
        responses={"default": {"model": Error, "description": "An error."}},
        route_class=ApiRoute.serving(API),
    )
    reader = require(READ_STATUS, API)

    @router.get(
        "/subscribers/{subscriberIdString}/history",
        response_model=History,
        summary="Every recorded change of a subscriber's statuses, oldest first",
    )
    async def history(
        request: Request,
        subscriber: SubscriberPath,
        channel: ChannelQuery,
        after: AfterQuery = 0,
        limit: LimitQuery = 100,
        actor: Actor = Depends(reader),
    ) -> Response:
        page = await services(request).ledger.history(
            actor.portal_id, subscriber, channel, after, limit
        )
        return JSONBody(render_history(page))

    @router.get(
        "/subscribers/{subscriberIdString}/state",
        response_model=SubscriberState,
        summary="A subscriber's statuses as they were at a moment, rebuilt from the ledger",
    )
    async def state(
        request: Request,
        subscriber: SubscriberPath,
        channel: ChannelQuery,
        as_of: AsOfQuery = None,
        business_unit_id: BusinessUnitQuery = None,
        actor: Actor = Depends(reader),
    ) -> Response:
        the_services = services(request)
        at = the_services.clock.now_ms() if as_of is None else instant("asOf", as_of)
        found = await the_services.ledger.state_as_of(
            actor.portal_id, subscriber, at, channel, business_unit_id
        )
        return JSONBody(render_state(found))

    add_subject_routes(router)  # issue 16
    add_erasure(router, API)  # DELETE /subscribers/{subscriberIdString} (issue 16)
    return router


def instant(field: str, value: str) -> int:
    """A time given in ``field`` (clock.parse_instant), or a 400 naming it."""
    try:
        return parse_instant(value)
    except InstantError as error:
        raise InvalidInput.field(field, f"{field}: {error}.") from None
