"""``/commprefs/v1`` operations of issue 16 (ours, outside HubSpot's paths; same tokens):

POST /commprefs/v1/subscribers/{subscriberIdString}/confirmations — ask for double opt-in (202)
GET  /commprefs/v1/subscribers/{subscriberIdString}/confirmations — the pending ones
GET  /commprefs/v1/subscribers/{subscriberIdString}/export — everything held (GDPR Art. 15)

Asking for a confirmation needs a status-write scope; listing them and the export, a
status-read scope (the export answers only what the history and status reads answer already,
plus the confirmations, events and remembered replies that hold the same address).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from commprefs.api.commprefs_v1.subject_schemas import (
    ConfirmationAccepted,
    ConfirmationRequest,
    Confirmations,
    SubjectExport,
)
from commprefs.api.deps import require, services
from commprefs.api.params import SubscriberPath
from commprefs.api.responses import JSONBody
from commprefs.domain.bodies import render_confirmation
from commprefs.domain.preferences import Actor
from commprefs.domain.subscribers import subscriber_key
from commprefs.domain.tokens import EXPORT_SUBJECT, READ_CONFIRMATIONS, REQUEST_CONFIRMATION

API = "commprefs-v1"


def add_subject_routes(router: APIRouter) -> None:
    asker = require(REQUEST_CONFIRMATION, API)
    lister = require(READ_CONFIRMATIONS, API)
    exporter = require(EXPORT_SUBJECT, API)

    @router.post(
        "/subscribers/{subscriberIdString}/confirmations",
        status_code=202,
        response_model=ConfirmationAccepted,
        summary="Ask a subscriber to confirm subscriptions by email (double opt-in)",
    )
    async def request_confirmation(
        request: Request,
        subscriber: SubscriberPath,
        body: ConfirmationRequest,
        actor: Actor = Depends(asker),
    ) -> Response:
        confirmation, queued = await services(request).confirmations.request(
            actor,
            subscriber,
            body.subscriptionIds,
            body.businessUnitId,
            body.language,
            body.legalBasisExplanation,
        )
        return JSONBody(render_confirmation(confirmation) | {"mailQueued": queued}, 202)

    @router.get(
        "/subscribers/{subscriberIdString}/confirmations",
        response_model=Confirmations,
        summary="A subscriber's pending double opt-in confirmations",
    )
    async def pending_confirmations(
        request: Request, subscriber: SubscriberPath, actor: Actor = Depends(lister)
    ) -> Response:
        found = await services(request).confirmations.pending(actor.portal_id, subscriber)
        return JSONBody(
            {
                "subscriberIdString": subscriber_key(subscriber),
                "results": [render_confirmation(c) for c in found],
            }
        )

    @router.get(
        "/subscribers/{subscriberIdString}/export",
        response_model=SubjectExport,
        summary="Everything held about a subscriber, in one document (GDPR Art. 15)",
    )
    async def export_subject(
        request: Request, subscriber: SubscriberPath, actor: Actor = Depends(exporter)
    ) -> Response:
        return JSONBody(await services(request).subjects.export(actor.portal_id, subscriber))
