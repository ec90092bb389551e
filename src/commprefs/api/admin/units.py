"""A portal's business units (brands) and their branding.

GET   /commprefs/v1/business-units
POST  /commprefs/v1/business-units                      {name}
PATCH /commprefs/v1/business-units/{businessUnitId}
      {name?, branding?: {name?, colour?, logoUrl?}}
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.api.admin.common import Administrator, BusinessUnitPath, portal_of, router
from commprefs.api.admin.schemas import (
    BusinessUnit,
    BusinessUnitIn,
    BusinessUnitPatch,
    BusinessUnits,
)
from commprefs.api.deps import services
from commprefs.api.responses import JSONBody
from commprefs.domain.admin_bodies import render_branding


def build_router() -> APIRouter:
    routes = router("business units")

    @routes.get("/business-units", response_model=BusinessUnits, summary="List business units")
    async def list_units(request: Request, actor: Administrator) -> Response:
        found = await services(request).portals.business_units(portal_of(actor))
        return JSONBody({"results": [render_branding(b) for b in found]})

    @routes.post(
        "/business-units",
        response_model=BusinessUnit,
        status_code=201,
        summary="Create a business unit",
    )
    async def create_unit(request: Request, body: BusinessUnitIn, actor: Administrator) -> Response:
        found = await services(request).admin.create_business_unit(actor, body.name)
        return JSONBody(render_branding(found), status_code=201)

    @routes.patch(
        "/business-units/{businessUnitId}",
        response_model=BusinessUnit,
        summary="Rename a business unit or change its branding",
    )
    async def update_unit(
        request: Request, unit_id: BusinessUnitPath, body: BusinessUnitPatch, actor: Administrator
    ) -> Response:
        branding = body.branding.model_dump(exclude_unset=True) if body.branding else {}
        found = await services(request).admin.update_business_unit(
            actor, unit_id, body.name, branding
        )
        return JSONBody(render_branding(found))

    return routes
