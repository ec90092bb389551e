"""The four batch operations of v4 / 2026-03 (reference §4.1 E7 to E10)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from commprefs.api.deps import require, services
from commprefs.api.params import BusinessUnitQuery, ChannelQuery, VerboseQuery
from commprefs.api.responses import JSONBody
from commprefs.api.v4.schemas import (
    BatchInputPublicStatusRequest,
    BatchInputString,
    BatchResponsePublicBulkOptOutFromAllResponse,
    BatchResponsePublicStatus,
    BatchResponsePublicStatusBulkResponse,
    BatchResponsePublicStatusBulkResponseWithErrors,
    BatchResponsePublicWideStatusBulkResponse,
    BatchResponsePublicWideStatusBulkResponseWithErrors,
    render_batch_errors,
    render_envelope,
)
from commprefs.api.v4.statuses import bulk_statuses
from commprefs.domain.bodies import render_status, render_wide
from commprefs.domain.outcomes import BatchOutcome
from commprefs.domain.preferences import Actor, State, StatusChange
from commprefs.domain.tokens import BATCH_READ, BATCH_WRITE


def _body(
    request: Request, outcome: BatchOutcome, results: list[Any], inputs: list[Any]
) -> dict[str, Any]:
    body = render_envelope(
        results, request.state.received_ms, outcome.started_at, outcome.completed_at
    )
    if outcome.errors:
        body.update(render_batch_errors(outcome.errors, inputs))
    return body


def _read_answer(
    request: Request, outcome: BatchOutcome, results: list[Any], inputs: list[Any]
) -> Response:
    """A batch read's answer: 207 when any input failed (reference §4.1), 200 otherwise."""
    return JSONBody(
        _body(request, outcome, results, inputs), status_code=207 if outcome.errors else 200
    )


async def batch_read(
    request: Request,
    body: BatchInputString,
    channel: ChannelQuery,
    business_unit_id: BusinessUnitQuery = None,
    actor: Actor = Depends(require(BATCH_READ)),
) -> Response:
    outcome = await services(request).preferences.read_statuses_many(
        actor, body.inputs, channel, business_unit_id
    )
    results = bulk_statuses(channel, outcome.readings)
    return _read_answer(request, outcome, results, list(body.inputs))


async def batch_read_unsubscribe_all(
    request: Request,
    body: BatchInputString,
    channel: ChannelQuery,
    business_unit_id: BusinessUnitQuery = None,
    actor: Actor = Depends(require(BATCH_READ)),
) -> Response:
    outcome, rows = await services(request).preferences.read_wide_many(
        actor, body.inputs, channel, business_unit_id
    )
    results = [
        {"subscriberIdString": key, "wideStatuses": [render_wide(w) for w in wides]}
        for key, wides in rows.items()
    ]
    return _read_answer(request, outcome, results, list(body.inputs))


async def batch_unsubscribe_all(
    request: Request,
    body: BatchInputString,
    channel: ChannelQuery,
    business_unit_id: BusinessUnitQuery = None,
    verbose: VerboseQuery = False,
    actor: Actor = Depends(require(BATCH_WRITE)),
) -> Response:
    outcome = await services(request).preferences.unsubscribe_all_many(
        actor, body.inputs, channel, business_unit_id
    )
    results = (
        [
            {"subscriberIdString": key, "statuses": [render_status(s) for s in statuses]}
            for key, statuses in outcome.per_subscriber.items()
        ]
        if verbose
        else []
    )
    return JSONBody(_body(request, outcome, results, list(body.inputs)))


async def batch_write(
    request: Request,
    body: BatchInputPublicStatusRequest,
    actor: Actor = Depends(require(BATCH_WRITE)),
) -> Response:
    changes = [
        StatusChange(
            subscriber=item.subscriberIdString,
            subscription_id=item.subscriptionId,
            state=State(item.statusState),
            legal_basis=item.legalBasis,
            legal_basis_explanation=item.legalBasisExplanation,
        )
        for item in body.inputs
    ]
    outcome = await services(request).preferences.update_statuses(actor, changes)
    inputs = [item.model_dump() for item in body.inputs]
    return JSONBody(_body(request, outcome, [render_status(s) for s in outcome.statuses], inputs))


def add_routes(router: APIRouter) -> None:
    """Adds E7 to E10 to the router of one prefix (its route class says which: routes.py)."""
    router.post(
        "/statuses/batch/read",
        response_model=BatchResponsePublicStatusBulkResponse,
        responses={207: {"model": BatchResponsePublicStatusBulkResponseWithErrors}},
        summary="Batch retrieve subscription statuses",
    )(batch_read)
    router.post(
        "/statuses/batch/unsubscribe-all/read",
        response_model=BatchResponsePublicWideStatusBulkResponse,
        responses={207: {"model": BatchResponsePublicWideStatusBulkResponseWithErrors}},
        summary="Batch retrieve contacts who have opted out of all communications",
    )(batch_read_unsubscribe_all)
    router.post(
        "/statuses/batch/unsubscribe-all",
        response_model=BatchResponsePublicBulkOptOutFromAllResponse,
        summary="Batch unsubscribe contacts from all subscriptions",
    )(batch_unsubscribe_all)
    router.post(
        "/statuses/batch/write",
        response_model=BatchResponsePublicStatus,
        summary="Batch update subscription statuses",
    )(batch_write)
