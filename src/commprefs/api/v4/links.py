"""E6 ``POST {P}/links/generate``: signed preference-page links for one subscriber."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from commprefs.api.deps import require, services
from commprefs.api.params import INT64_MAX, ChannelQuery
from commprefs.api.responses import JSONBody
from commprefs.api.v4.link_schemas import (
    LinkGenerationRequest,
    LinkGenerationResponse,
    render_links,
)
from commprefs.domain.preferences import Actor
from commprefs.domain.tokens import GENERATE_LINKS

LinkBusinessUnitQuery = Annotated[
    int,
    Query(
        alias="businessUnitId",
        ge=0,
        le=INT64_MAX,
        description="The business unit (brand) whose pages the links open. Defaults to 0.",
    ),
]


async def generate_links(
    request: Request,
    body: LinkGenerationRequest,
    channel: ChannelQuery,
    business_unit_id: LinkBusinessUnitQuery = 0,
    actor: Actor = Depends(require(GENERATE_LINKS)),
) -> Response:
    links = await services(request).links.generate(
        actor.portal_id,
        body.subscriberIdString,
        business_unit_id,
        body.subscriptionId,
        body.language,
    )
    return JSONBody(render_links(links))


def add_link_routes(router: APIRouter, api: str) -> None:
    """Adds E6 to the router of one prefix (``api`` is "v4" or "2026-03")."""
    router.post(
        "/links/generate",
        response_model=LinkGenerationResponse,
        summary="Generate subscription links",
        # HubSpot's operationId keeps the /v4/ suffix under 2026-03 too (reference §4.1 E6).
        operation_id=(
            f"post-/communication-preferences/{api}/links/generate"
            "_/communication-preferences/v4/links/generate"
        ),
    )(generate_links)
