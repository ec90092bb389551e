"""What every admin route module shares: its router, the administrator's dependency, ids in
paths."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from commprefs.api.deps import require, require_instance
from commprefs.api.params import INT64_MAX
from commprefs.api.routing import ApiRoute
from commprefs.api.v4.schemas import Error
from commprefs.domain.admin import AdminActor
from commprefs.domain.faults import missing_portal
from commprefs.domain.preferences import Actor
from commprefs.domain.tokens import ADMIN, INSTANCE

API = "commprefs-admin"
PREFIX = "/commprefs/v1"

_portal_admin = require(ADMIN, API)


async def _administrator(actor: Actor = Depends(_portal_admin)) -> AdminActor:
    return AdminActor(actor.portal_id, actor.token_id, actor.request_id)


# A portal's administrator (a token with commprefs.admin) and the instance's (an instance token).
Administrator = Annotated[AdminActor, Depends(_administrator)]
InstanceAdministrator = Annotated[AdminActor, Depends(require_instance(INSTANCE))]


def portal_of(actor: AdminActor) -> int:
    """The portal an ``Administrator`` administers (always one: its token is a portal's)."""
    if actor.portal_id is None:  # pragma: no cover - require(ADMIN) refuses instance tokens
        raise missing_portal()
    return actor.portal_id


def router(tag: str) -> APIRouter:
    return APIRouter(
        route_class=ApiRoute.serving(API),
        tags=[tag],
        responses={"default": {"model": Error, "description": "An error."}},
    )


def id_path(alias: str, what: str) -> object:
    return Path(alias=alias, ge=0, le=INT64_MAX, description=what)


BusinessUnitPath = Annotated[int, id_path("businessUnitId", "A business unit (brand).")]
DefinitionPath = Annotated[int, id_path("subscriptionId", "A subscription type.")]
TokenPath = Annotated[int, id_path("tokenId", "A token.")]
WebhookPath = Annotated[int, id_path("webhookId", "A webhook.")]
ImportPath = Annotated[int, id_path("importId", "An import job.")]
