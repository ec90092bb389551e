"""The four batch operations of v4 and its date versions (reference §4.1 E7 to E10)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
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


# The date versions whose specs declare no 207 on the batch reads: their 200 schemas carry
# ``errors`` / ``numErrors`` instead (reference §2), and clients generated from them (Node's parse
# exactly 200 only) would throw on a 207.
WITHOUT_207 = frozenset({"2025-09", "2026-09"})


def _read_answer(
    request: Request, outcome: BatchOutcome, results: list[Any], inputs: list[Any]
) -> Response:
    """A batch read's answer: 207 when any input failed (reference §4.1), 200 otherwise; 200
    with the failures in the body under the APIs ``WITHOUT_207``."""
    partial = 200 if request.scope["route"].api in WITHOUT_207 else 207
    return JSONBody(
        _body(request, outcome, results, inputs), status_code=partial if outcome.errors else 200
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


def _partial(api: str, model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {} if api in WITHOUT_207 else {207: {"model": model}}


def add_routes(router: APIRouter, api: str) -> None:
    """Adds E7 to E10 to the router of one prefix (its route class says which: routes.py)."""
    router.post(
        "/statuses/batch/read",
        response_model=BatchResponsePublicStatusBulkResponse,
        responses=_partial(api, BatchResponsePublicStatusBulkResponseWithErrors),
        summary="Batch retrieve subscription statuses",
    )(batch_read)
    router.post(
        "/statuses/batch/unsubscribe-all/read",
        response_model=BatchResponsePublicWideStatusBulkResponse,
        responses=_partial(api, BatchResponsePublicWideStatusBulkResponseWithErrors),
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
