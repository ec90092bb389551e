"""v4 operations (reference §4.1): the same router under v4 and each date version's prefix."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from commprefs.api.deps import require, services
from commprefs.api.params import (
    BusinessUnitQuery,
    ChannelQuery,
    IncludeTranslationsQuery,
    SubscriberPath,
    VerboseQuery,
    no_body,
)
from commprefs.api.responses import JSONBody
from commprefs.api.routing import ApiRoute
from commprefs.api.v4 import batch
from commprefs.api.v4.links import add_link_routes
from commprefs.api.v4.schemas import (
    ActionResponseWithResultsPublicStatus,
    ActionResponseWithResultsPublicWideStatus,
    ActionResponseWithResultsSubscriptionDefinition,
    Error,
    PartialPublicStatusRequest,
    render_envelope,
)
from commprefs.api.v4.statuses import ReadingRenderer
from commprefs.domain.bodies import (
    render_definition,
    render_status,
    render_translation,
    render_wide,
)
from commprefs.domain.outcomes import Outcome
from commprefs.domain.preferences import Actor, State, Status, StatusChange
from commprefs.domain.tokens import READ_DEFINITIONS, READ_STATUS, WRITE_STATUS

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "default": {"model": Error, "description": "An error occurred."}
}


def statuses_body(request: Request, outcome: Outcome, results: list[Status]) -> Response:
    return JSONBody(
        render_envelope(
            [render_status(s) for s in results],
            request.state.received_ms,
            outcome.started_at,
            outcome.completed_at,
        )
    )


async def definitions(
    request: Request,
    business_unit_id: BusinessUnitQuery = None,
    include_translations: IncludeTranslationsQuery = False,
    actor: Actor = Depends(require(READ_DEFINITIONS)),
) -> Response:
    started = services(request).clock.now_ms()
    found = await services(request).preferences.list_definitions(
        actor, business_unit_id, include_translations
    )
    results = []
    for definition, translations in found:
        rendered = render_definition(definition)
        if include_translations:
            rendered["subscriptionTranslations"] = [render_translation(t) for t in translations]
        results.append(rendered)
    done = services(request).clock.now_ms()
    return JSONBody(render_envelope(results, request.state.received_ms, started, done))


async def get_statuses(
    request: Request,
    subscriber: SubscriberPath,
    channel: ChannelQuery,
    business_unit_id: BusinessUnitQuery = None,
    actor: Actor = Depends(require(READ_STATUS)),
) -> Response:
    outcome = await services(request).preferences.read_statuses(
        actor, subscriber, channel, business_unit_id
    )
    renderer = ReadingRenderer(channel)
    results = [
        status
        for key, readings in outcome.readings.items()
        for status in renderer.render(key, readings)
    ]
    return JSONBody(
        render_envelope(
            results, request.state.received_ms, outcome.started_at, outcome.completed_at
        )
    )


async def update_status(
    request: Request,
    subscriber: SubscriberPath,
    body: PartialPublicStatusRequest,
    actor: Actor = Depends(require(WRITE_STATUS)),
) -> Response:
    change = StatusChange(
        subscriber=subscriber,
        subscription_id=body.subscriptionId,
        state=State(body.statusState),
        legal_basis=body.legalBasis,
        legal_basis_explanation=body.legalBasisExplanation,
    )
    outcome = await services(request).preferences.update_status(actor, change)
    return statuses_body(request, outcome, outcome.statuses)


async def get_unsubscribe_all(
    request: Request,
    subscriber: SubscriberPath,
    channel: ChannelQuery,
    business_unit_id: BusinessUnitQuery = None,
    verbose: VerboseQuery = False,
    actor: Actor = Depends(require(READ_STATUS)),
) -> Response:
    started = services(request).clock.now_ms()
    wides = await services(request).preferences.get_unsubscribe_all(
        actor, subscriber, channel, business_unit_id
    )
    done = services(request).clock.now_ms()
    return JSONBody(
        render_envelope([render_wide(w) for w in wides], request.state.received_ms, started, done)
    )


async def unsubscribe_all(
    request: Request,
    subscriber: SubscriberPath,
    channel: ChannelQuery,
    business_unit_id: BusinessUnitQuery = None,
    verbose: VerboseQuery = False,
    actor: Actor = Depends(require(WRITE_STATUS)),
    _body: None = Depends(no_body),  # after ``actor``: authentication comes first
) -> Response:
    outcome = await services(request).preferences.unsubscribe_all(
        actor, subscriber, channel, business_unit_id
    )
    return statuses_body(request, outcome, outcome.statuses if verbose else [])


def build_router(api: str) -> APIRouter:
    """The router for one prefix; ``api`` ("v4", "2026-03", "2026-09", "2025-09") is recorded in
    the ledger: each route's class carries it (``ApiRoute.serving``), and ``require`` reads it
    from there."""
    router = APIRouter(responses=ERROR_RESPONSES, route_class=ApiRoute.serving(api))
    # Batch paths first: /statuses/batch/unsubscribe-all would otherwise match
    # /statuses/{subscriberIdString}/unsubscribe-all.
    batch.add_routes(router, api)
    add_link_routes(router, api)
    router.get(
        "/definitions",
        response_model=ActionResponseWithResultsSubscriptionDefinition,
        summary="Retrieve all subscription status definitions",
    )(definitions)
    router.get(
        "/statuses/{subscriberIdString}",
        response_model=ActionResponseWithResultsPublicStatus,
        summary="Get subscription preferences for a specific contact",
    )(get_statuses)
    router.post(
        "/statuses/{subscriberIdString}",
        response_model=ActionResponseWithResultsPublicStatus,
        summary="Update a contact's subscription status",
    )(update_status)
    router.get(
        "/statuses/{subscriberIdString}/unsubscribe-all",
        response_model=ActionResponseWithResultsPublicWideStatus,
        summary="Retrieve a contact's unsubscribed status",
    )(get_unsubscribe_all)
    router.post(
        "/statuses/{subscriberIdString}/unsubscribe-all",
        response_model=ActionResponseWithResultsPublicStatus,
        summary="Unsubscribe a contact from all email subscriptions",
    )(unsubscribe_all)
    return router
