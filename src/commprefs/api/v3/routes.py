"""Legacy v3 operations (reference §4.2), for HubSpot's older clients; same service as v4."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from commprefs.api.deps import require, services
from commprefs.api.responses import JSONBody
from commprefs.api.routing import ApiRoute
from commprefs.api.v3.schemas import (
    REQUEST_BODY_DOC,
    PublicSubscriptionStatus,
    PublicSubscriptionStatusesResponse,
    SubscriptionDefinitionsResponse,
    parse_update,
    render_definitions,
    render_status,
    render_statuses,
)
from commprefs.api.v4.schemas import Error
from commprefs.domain.preferences import Actor, Channel, State
from commprefs.domain.subscribers import subscriber_key
from commprefs.domain.tokens import READ_DEFINITIONS, READ_STATUS, WRITE_STATUS

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "default": {"model": Error, "description": "An error occurred."}
}
API = "v3"  # recorded in the ledger with every change made here

EmailPath = Annotated[
    str,
    Path(
        alias="emailAddress",
        max_length=512,
        description="The subscriber's email address (matched case-insensitively).",
    ),
]


def build_router() -> APIRouter:
    router = APIRouter(responses=ERROR_RESPONSES, route_class=ApiRoute)

    @router.get(
        "/definitions",
        response_model=SubscriptionDefinitionsResponse,
        summary="Get subscription definitions",
    )
    async def get_page(
        request: Request, actor: Actor = Depends(require(READ_DEFINITIONS, API))
    ) -> Response:
        definitions = await services(request).preferences.list_definitions(actor, None)
        return JSONBody(render_definitions(definitions))

    @router.get(
        "/status/email/{emailAddress}",
        response_model=PublicSubscriptionStatusesResponse,
        summary="Get subscription statuses for a contact",
    )
    async def get_email_status(
        request: Request,
        email: EmailPath,
        actor: Actor = Depends(require(READ_STATUS, API)),
    ) -> Response:
        recipient = subscriber_key(email, "emailAddress")
        outcome = await services(request).preferences.get_statuses(
            actor, recipient, Channel.EMAIL, None
        )
        return JSONBody(render_statuses(recipient, outcome.statuses))

    def update_to(state: State) -> Callable[..., Awaitable[Response]]:
        async def update(
            request: Request, actor: Actor = Depends(require(WRITE_STATUS, API))
        ) -> Response:
            change = parse_update(await request.body(), state)
            status = await services(request).preferences.update_status_v3(actor, change)
            return JSONBody(render_status(status))

        return update

    # subscribe and unsubscribe differ only in the state they ask for.
    for path, state, summary in (
        ("/subscribe", State.SUBSCRIBED, "Subscribe a contact"),
        ("/unsubscribe", State.UNSUBSCRIBED, "Unsubscribe a contact"),
    ):
        router.add_api_route(
            path,
            update_to(state),
            methods=["POST"],
            response_model=PublicSubscriptionStatus,
            summary=summary,
            openapi_extra=REQUEST_BODY_DOC,
        )

    return router
