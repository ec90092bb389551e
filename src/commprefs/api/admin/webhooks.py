"""A portal's webhooks: endpoints that receive its change events, and how their deliveries stand.

GET    /commprefs/v1/webhooks
POST   /commprefs/v1/webhooks                             {url, secret?}: the secret is shown once
DELETE /commprefs/v1/webhooks/{webhookId}
GET    /commprefs/v1/webhooks/{webhookId}/deliveries      recent events: DELIVERED, FAILING, PENDING
POST   /commprefs/v1/webhook-replays                      {since, webhookId?}: deliver again
GET    /commprefs/v1/ledger/verify                        the portal's hash chain, recomputed
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.api.admin.common import Administrator, WebhookPath, portal_of, router
from commprefs.api.admin.schemas import (
    ChainReport,
    Deliveries,
    ReplayIn,
    Rewinds,
    WebhookCreated,
    WebhookIn,
    Webhooks,
)
from commprefs.api.commprefs_v1.routes import instant
from commprefs.api.deps import services
from commprefs.api.responses import JSONBody
from commprefs.domain.admin_bodies import (
    render_chain_report,
    render_deliveries,
    render_rewind,
    render_webhook,
    render_webhook_state,
)


def build_router() -> APIRouter:
    routes = router("webhooks")

    @routes.get("/webhooks", response_model=Webhooks, summary="List webhooks (never their secrets)")
    async def list_webhooks(request: Request, actor: Administrator) -> Response:
        found = await services(request).webhooks.endpoints(portal_of(actor))
        return JSONBody({"results": [render_webhook_state(w) for w in found]})

    @routes.post(
        "/webhooks",
        response_model=WebhookCreated,
        status_code=201,
        summary="Add a webhook; its signing secret is in this answer only",
    )
    async def add_webhook(request: Request, body: WebhookIn, actor: Administrator) -> Response:
        webhook = await services(request).admin.add_webhook(actor, body.url, body.secret)
        return JSONBody({**render_webhook(webhook), "secret": webhook.secret}, status_code=201)

    @routes.delete(
        "/webhooks/{webhookId}",
        status_code=204,
        response_class=Response,
        summary="Remove a webhook",
    )
    async def remove_webhook(
        request: Request, webhook_id: WebhookPath, actor: Administrator
    ) -> Response:
        await services(request).admin.remove_webhook(actor, webhook_id)
        return Response(status_code=204)

    @routes.get(
        "/webhooks/{webhookId}/deliveries",
        response_model=Deliveries,
        summary="A webhook's recent events and where their delivery stands",
    )
    async def deliveries(
        request: Request, webhook_id: WebhookPath, actor: Administrator
    ) -> Response:
        found = await services(request).webhooks.deliveries(portal_of(actor), webhook_id)
        return JSONBody(render_deliveries(found))

    @routes.post(
        "/webhook-replays",
        response_model=Rewinds,
        summary="Deliver again every event recorded since a moment (same event ids)",
    )
    async def replay(request: Request, body: ReplayIn, actor: Administrator) -> Response:
        since = instant("since", body.since)
        rewinds = await services(request).admin.replay_webhooks(actor, since, body.webhookId)
        return JSONBody({"results": [render_rewind(r) for r in rewinds]})

    @routes.get(
        "/ledger/verify",
        response_model=ChainReport,
        summary="Recompute the portal's ledger hash chain; its head, and what is wrong",
    )
    async def verify(request: Request, actor: Administrator) -> Response:
        (report,) = await services(request).ledger.verify(portal_of(actor))
        return JSONBody(render_chain_report(report))

    return routes
