"""The instance's administration (an instance token): portals and the link signing keys.

GET  /commprefs/v1/portals               every portal
POST /commprefs/v1/portals               a portal, with its first admin token (shown once)
GET  /commprefs/v1/link-keys             the keys that verify preference-page links (never a key)
POST /commprefs/v1/link-keys/rotate      a new key signs; the old ones verify for the grace days
GET  /commprefs/v1/instance-audit        the instance's changes (portals made, keys rotated)
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.api.admin.audit import AfterQuery, LimitQuery
from commprefs.api.admin.common import InstanceAdministrator, router
from commprefs.api.admin.schemas import AuditRecords, LinkKeys, PortalCreated, PortalIn, Portals
from commprefs.api.deps import services
from commprefs.api.responses import JSONBody
from commprefs.domain.admin_bodies import render_audit, render_key, render_portal


def build_router() -> APIRouter:
    routes = router("instance")

    @routes.get("/portals", response_model=Portals, summary="List portals (instance token)")
    async def list_portals(request: Request, actor: InstanceAdministrator) -> Response:
        found = await services(request).portals.portals()
        return JSONBody({"results": [render_portal(p) for p in found]})

    @routes.post(
        "/portals",
        response_model=PortalCreated,
        status_code=201,
        summary="Create a portal and its first admin token (instance token)",
    )
    async def create_portal(
        request: Request, body: PortalIn, actor: InstanceAdministrator
    ) -> Response:
        portal, record, secret = await services(request).admin.create_portal(
            actor, body.name, body.gdpr, body.tokenName
        )
        token = {
            "id": record.id,
            "token": secret,
            "name": record.name,
            "scopes": sorted(record.scopes),
        }
        return JSONBody({"portal": render_portal(portal), "token": token}, status_code=201)

    @routes.get("/link-keys", response_model=LinkKeys, summary="List link signing keys")
    async def link_keys(request: Request, actor: InstanceAdministrator) -> Response:
        keys = await services(request).links.keys()
        return JSONBody({"results": [render_key(k) for k in keys]})

    @routes.post(
        "/link-keys/rotate", response_model=LinkKeys, summary="Rotate the link signing key"
    )
    async def rotate_link_key(request: Request, actor: InstanceAdministrator) -> Response:
        keys = await services(request).admin.rotate_link_key(actor)
        return JSONBody({"results": [render_key(k) for k in keys]})

    @routes.get(
        "/instance-audit",
        response_model=AuditRecords,
        summary="The instance's administrative changes, oldest first",
    )
    async def instance_audit(
        request: Request,
        actor: InstanceAdministrator,
        after: AfterQuery = 0,
        limit: LimitQuery = 100,
    ) -> Response:
        found = await services(request).admin.audit(None, after, limit)
        return JSONBody({"results": [render_audit(r) for r in found]})

    return routes
