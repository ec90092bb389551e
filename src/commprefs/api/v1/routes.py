"""Email Subscriptions v1 (``/email/public/v1/subscriptions``), HubSpot's legacy API and the only
one of hubspot3, npm ``hubspot`` and the Singer/Airbyte taps; same service as v3 and v4.

GET  /email/public/v1/subscriptions            the portal's subscription types
GET  /email/public/v1/subscriptions/timeline   every recorded change, newest first, paged
GET  /email/public/v1/subscriptions/{email}    one address: opt-out of all and its chosen types
PUT  /email/public/v1/subscriptions/{email}    opt out of all, subscribe to all, or set types
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from starlette.responses import Response

from commprefs.api.deps import require, services
from commprefs.api.params import INT64_MAX
from commprefs.api.responses import JSONBody
from commprefs.api.routing import ApiRoute
from commprefs.api.v1.schemas import (
    EmailSubscription,
    EmailSubscriptionUpdate,
    Timeline,
    UpdateAnswer,
    V1SubscriptionDefinitions,
    decode_offset,
    render_definitions,
    render_subscription,
    render_timeline,
)
from commprefs.api.v4.schemas import Error
from commprefs.domain.errors import InvalidInput
from commprefs.domain.preferences import Actor
from commprefs.domain.subscribers import subscriber_key
from commprefs.domain.tokens import V1_READ_DEFINITIONS, V1_READ_STATUS, V1_WRITE_STATUS
from commprefs.ledger.service import MAX_PAGE

API = "v1"  # recorded in the ledger with every change made here
PREFIX = "/email/public/v1/subscriptions"

EmailPath = Annotated[
    str,
    Path(
        alias="email_address",
        max_length=512,
        description="The email address, raw or percent-encoded (matched case-insensitively).",
    ),
]
PortalQuery = Annotated[
    int | None,
    Query(alias="portalId", ge=0, le=INT64_MAX, description="The token's own portal, if given."),
]
StartQuery = Annotated[
    int | None,
    Query(alias="startTimestamp", ge=0, le=INT64_MAX, description="Recorded at or after (ms)."),
]
EndQuery = Annotated[
    int | None,
    Query(alias="endTimestamp", ge=0, le=INT64_MAX, description="Recorded at or before (ms)."),
]
LimitQuery = Annotated[int, Query(alias="limit", ge=1, le=MAX_PAGE, description="Items a page.")]
OffsetQuery = Annotated[
    str | None,
    Query(alias="offset", max_length=64, description="The offset the previous page returned."),
]


def build_router() -> APIRouter:
    router = APIRouter(
        responses={"default": {"model": Error, "description": "An error."}}, route_class=ApiRoute
    )

    async def definitions(
        request: Request,
        portal_id: PortalQuery = None,
        actor: Actor = Depends(require(V1_READ_DEFINITIONS, API)),
    ) -> Response:
        _own_portal(actor, portal_id)
        found = await services(request).preferences.list_definitions(actor, None)
        return JSONBody(render_definitions(actor.portal_id, [d for d, _ in found]))

    router.add_api_route(
        "",
        definitions,
        methods=["GET"],
        response_model=V1SubscriptionDefinitions,
        summary="Get the portal's subscription types",
    )
    # hubspot3 asks for the types at ".../subscriptions/" (an empty sub-path), which HubSpot
    # answers: the one path with a trailing slash that is not a 404.
    router.add_api_route("/", definitions, methods=["GET"], include_in_schema=False)

    @router.get(
        "/timeline",
        response_model=Timeline,
        summary="Every recorded subscription change of the portal, newest first",
    )
    async def timeline(
        request: Request,
        limit: LimitQuery = 100,
        offset: OffsetQuery = None,
        start: StartQuery = None,
        end: EndQuery = None,
        actor: Actor = Depends(require(V1_READ_STATUS, API)),
    ) -> Response:
        if start is not None and end is not None and start > end:
            raise InvalidInput.field(
                "startTimestamp", "startTimestamp: must not be after endTimestamp."
            )
        before = None if offset is None else decode_offset(offset)
        page = await services(request).ledger.timeline(actor.portal_id, before, limit, start, end)
        return JSONBody(render_timeline(actor.portal_id, page))

    @router.get(
        "/{email_address}",
        response_model=EmailSubscription,
        summary="Get an address's subscription status",
    )
    async def status(
        request: Request,
        email: EmailPath,
        portal_id: PortalQuery = None,
        actor: Actor = Depends(require(V1_READ_STATUS, API)),
    ) -> Response:
        _own_portal(actor, portal_id)
        recipient = subscriber_key(email, "email_address")
        reading = await services(request).preferences.v1.read(actor, recipient)
        return JSONBody(render_subscription(actor.portal_id, reading))

    @router.put(
        "/{email_address}",
        response_model=UpdateAnswer,
        summary="Opt an address out of all email, subscribe it to all, or set its types",
    )
    async def update(
        request: Request,
        email: EmailPath,
        body: Annotated[EmailSubscriptionUpdate, Body()],
        actor: Actor = Depends(require(V1_WRITE_STATUS, API)),
    ) -> Response:
        recipient = subscriber_key(email, "email_address")
        rules = services(request).preferences.v1
        if body.unsubscribeFromAll:
            await rules.unsubscribe_from_all(actor, recipient)
        elif body.subscribed:
            await rules.subscribe_to_all(
                actor,
                recipient,
                body.portalSubscriptionLegalBasis,
                body.portalSubscriptionLegalBasisExplanation,
            )
        else:
            await rules.update(actor, body.changes(recipient))
        return JSONBody({"status": "ok"})

    return router


def _own_portal(actor: Actor, portal_id: int | None) -> None:
    """hubspot3 sends ``portalId``: it must be the token's own (a token sees one portal)."""
    if portal_id is not None and portal_id != actor.portal_id:
        raise InvalidInput.field("portalId", "portalId: the token belongs to another portal.")
