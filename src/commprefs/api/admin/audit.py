"""GET /commprefs/v1/audit?after=N&limit=100 — who changed what in the portal's administration,
oldest first (status changes are in the ledger: /commprefs/v1/subscribers/{email}/history)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from commprefs.admin.service import MAX_AUDIT_PAGE
from commprefs.api.admin.common import Administrator, portal_of, router
from commprefs.api.admin.schemas import AuditRecords
from commprefs.api.deps import services
from commprefs.api.params import INT64_MAX
from commprefs.api.responses import JSONBody
from commprefs.domain.admin_bodies import render_audit

AfterQuery = Annotated[int, Query(alias="after", ge=0, le=INT64_MAX, description="After this id.")]
LimitQuery = Annotated[int, Query(alias="limit", ge=1, le=MAX_AUDIT_PAGE, description="Page size.")]


def build_router() -> APIRouter:
    routes = router("audit")

    @routes.get(
        "/audit", response_model=AuditRecords, summary="Administrative changes, oldest first"
    )
    async def audit(
        request: Request,
        actor: Administrator,
        after: AfterQuery = 0,
        limit: LimitQuery = 100,
    ) -> Response:
        found = await services(request).admin.audit(portal_of(actor), after, limit)
        return JSONBody({"results": [render_audit(r) for r in found]})

    return routes
