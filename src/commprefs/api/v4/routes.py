"""v4 and 2026-03 operations (reference §4.1): the same router under both prefixes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from commprefs.api.deps import require, services
from commprefs.api.params import (
    BusinessUnitQuery,
    ChannelQuery,
    SubscriberPath,
    VerboseQuery,
    no_body,
)
from commprefs.api.responses import JSONBody
from commprefs.api.v4.links import add_link_routes
from commprefs.api.v4.schemas import (
    ActionResponseWithResultsPublicStatus,
    Error,
    render_envelope,
    render_status,
)
from commprefs.auth.models import WRITE_STATUS
from commprefs.preferences.models import Actor
from commprefs.preferences.subscribers import subscriber_key

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "default": {"model": Error, "description": "An error occurred."}
}


def build_router(api: str) -> APIRouter:
    """The router for one prefix; ``api`` ("v4" or "2026-03") is recorded in the ledger."""
    router = APIRouter(responses=ERROR_RESPONSES)
    add_link_routes(router, api)

    @router.post(
        "/statuses/{subscriberIdString}/unsubscribe-all",
        response_model=ActionResponseWithResultsPublicStatus,
        summary="Unsubscribe a contact from all email subscriptions",
        dependencies=[Depends(no_body)],
    )
    async def unsubscribe_all(
        request: Request,
        subscriber: SubscriberPath,
        channel: ChannelQuery,
        business_unit_id: BusinessUnitQuery = None,
        verbose: VerboseQuery = False,
        actor: Actor = Depends(require(WRITE_STATUS, api)),
    ) -> Response:
        outcome = await services(request).preferences.unsubscribe_all(
            actor, subscriber_key(subscriber), channel, business_unit_id
        )
        results = [render_status(s) for s in outcome.statuses] if verbose else []
        return JSONBody(
            render_envelope(
                results, request.state.received_ms, outcome.started_at, outcome.completed_at
            )
        )

    return router
