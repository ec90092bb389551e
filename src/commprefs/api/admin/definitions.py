"""A portal's subscription types: list, create, change (deactivate, reactivate), translate.

GET   /commprefs/v1/definitions[?businessUnitId=N]       every type, active or not, translated
POST  /commprefs/v1/definitions                          {name, description?, businessUnitId?, …}
PATCH /commprefs/v1/definitions/{subscriptionId}         only what is given changes
PUT   /commprefs/v1/definitions/{subscriptionId}/translations/{languageCode}   {name, description?}
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from commprefs.api.admin.common import Administrator, DefinitionPath, portal_of, router
from commprefs.api.admin.schemas import (
    DefinitionIn,
    DefinitionPatch,
    Definitions,
    Translation,
    TranslationIn,
)
from commprefs.api.deps import services
from commprefs.api.params import BusinessUnitQuery
from commprefs.api.responses import JSONBody
from commprefs.api.v4.schemas import SubscriptionDefinition
from commprefs.domain.bodies import render_definition, render_translation
from commprefs.portals.service import DefinitionChanges

LanguagePath = Annotated[
    str, Path(alias="languageCode", max_length=16, description="A language code, e.g. fr.")
]


def build_router() -> APIRouter:
    routes = router("subscription types")

    @routes.get(
        "/definitions",
        response_model=Definitions,
        summary="List subscription types, with inactive ones",
    )
    async def list_definitions(
        request: Request, actor: Administrator, business_unit_id: BusinessUnitQuery = None
    ) -> Response:
        found = await services(request).portals.definitions(portal_of(actor), business_unit_id)
        results = [
            {
                **render_definition(d),
                "subscriptionTranslations": [render_translation(t) for t in translations],
            }
            for d, translations in found
        ]
        return JSONBody({"results": results})

    @routes.post(
        "/definitions",
        response_model=SubscriptionDefinition,
        status_code=201,
        summary="Create a subscription type",
    )
    async def create_definition(
        request: Request, body: DefinitionIn, actor: Administrator
    ) -> Response:
        made = await services(request).admin.create_definition(
            actor,
            body.businessUnitId,
            _changes(body),
        )
        return JSONBody(render_definition(made), status_code=201)

    @routes.patch(
        "/definitions/{subscriptionId}",
        response_model=SubscriptionDefinition,
        summary="Change, deactivate or reactivate a subscription type",
    )
    async def update_definition(
        request: Request, definition_id: DefinitionPath, body: DefinitionPatch, actor: Administrator
    ) -> Response:
        changed = await services(request).admin.update_definition(
            actor,
            definition_id,
            _changes(body),
        )
        return JSONBody(render_definition(changed))

    @routes.put(
        "/definitions/{subscriptionId}/translations/{languageCode}",
        response_model=Translation,
        summary="Add or replace a translation of a subscription type",
    )
    async def translate_definition(
        request: Request,
        definition_id: DefinitionPath,
        language: LanguagePath,
        body: TranslationIn,
        actor: Administrator,
    ) -> Response:
        made = await services(request).admin.translate_definition(
            actor, definition_id, language, body.name, body.description
        )
        return JSONBody(render_translation(made))

    return routes


def _changes(body: DefinitionIn | DefinitionPatch) -> DefinitionChanges:
    return DefinitionChanges(
        name=body.name,
        description=body.description,
        purpose=body.purpose,
        communication_method=body.communicationMethod,
        is_internal=body.isInternal,
        is_default=body.isDefault,
        is_active=body.isActive,
    )
