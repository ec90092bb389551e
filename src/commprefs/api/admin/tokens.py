"""A portal's access tokens: secrets are shown once, when made, and never listed.

GET    /commprefs/v1/tokens
POST   /commprefs/v1/tokens              {scopes, name?}
DELETE /commprefs/v1/tokens/{tokenId}    revoke at once (never the token that asks)
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.api.admin.common import Administrator, TokenPath, portal_of, router
from commprefs.api.admin.schemas import Token, TokenCreated, TokenIn, Tokens
from commprefs.api.deps import services
from commprefs.api.responses import JSONBody
from commprefs.domain.admin_bodies import render_token


def build_router() -> APIRouter:
    routes = router("tokens")

    @routes.get("/tokens", response_model=Tokens, summary="List tokens (never their secrets)")
    async def list_tokens(request: Request, actor: Administrator) -> Response:
        found = await services(request).tokens.list(portal_of(actor))
        return JSONBody({"results": [render_token(t) for t in found]})

    @routes.post(
        "/tokens",
        response_model=TokenCreated,
        status_code=201,
        summary="Create a token; its secret is in this answer only",
    )
    async def create_token(request: Request, body: TokenIn, actor: Administrator) -> Response:
        record, secret = await services(request).admin.create_token(actor, body.scopes, body.name)
        return JSONBody(
            {
                "id": record.id,
                "token": secret,
                "name": record.name,
                "scopes": sorted(record.scopes),
            },
            status_code=201,
        )

    @routes.delete("/tokens/{tokenId}", response_model=Token, summary="Revoke a token")
    async def revoke_token(request: Request, token_id: TokenPath, actor: Administrator) -> Response:
        record = await services(request).admin.revoke_token(actor, token_id)
        return JSONBody(render_token(record))

    return routes
