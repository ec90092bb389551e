"""``POST /oauth/v1/token`` (form-encoded, as HubSpot's) and the introspection of access and
refresh tokens. Thin: parse, call the OAuth service, render. A refused grant is HubSpot's OAuth
error body, ``{"status": "<REASON>", "message", "correlationId"}``; an expired access token is
the API's 401 with category ``EXPIRED_AUTHENTICATION``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from commprefs.api.deps import services
from commprefs.api.errors import correlation_id
from commprefs.api.oauth.schemas import (
    AccessTokenInfoResponse,
    OAuthError,
    RefreshTokenInfoResponse,
    TokenResponseIF,
    render_info,
    render_pair,
)
from commprefs.api.responses import JSONBody
from commprefs.api.v4.schemas import Error
from commprefs.domain.oauth import OAuthRefusal
from commprefs.oauth.models import TokenInfo, TokenRequest

PREFIX = "/oauth/v1"
FormField = Annotated[str | None, Form()]
REFUSED: dict[int | str, dict[str, object]] = {
    400: {"model": OAuthError, "description": "The grant or the client was refused."},
    "default": {"model": Error, "description": "An error occurred."},
}


def refused(request: Request, refusal: OAuthRefusal) -> Response:
    body = {
        "status": refusal.reason,
        "message": refusal.message,
        "correlationId": correlation_id(request),
    }
    return JSONBody(body, status_code=refusal.status_code)


async def create_token(
    request: Request,
    grant_type: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
    redirect_uri: FormField = None,
    code: FormField = None,
    refresh_token: FormField = None,
) -> Response:
    asked = TokenRequest(grant_type, client_id, client_secret, redirect_uri, code, refresh_token)
    try:
        pair = await services(request).oauth.exchange(asked)
    except OAuthRefusal as refusal:
        return refused(request, refusal)
    return JSONBody(render_pair(pair), headers={"Cache-Control": "no-store"})


async def _introspected(
    request: Request, look_up: Callable[[str], Awaitable[TokenInfo]], token: str
) -> Response:
    try:
        info = await look_up(token)
    except OAuthRefusal as refusal:
        return refused(request, refusal)
    return JSONBody(render_info(info), headers={"Cache-Control": "no-store"})


async def access_token_info(request: Request, token: str) -> Response:
    return await _introspected(request, services(request).oauth.access_token_info, token)


async def refresh_token_info(request: Request, token: str) -> Response:
    return await _introspected(request, services(request).oauth.refresh_token_info, token)


async def delete_refresh_token(request: Request, token: str) -> Response:
    try:
        await services(request).oauth.delete_refresh_token(token)
    except OAuthRefusal as refusal:
        return refused(request, refusal)
    return Response(status_code=204)


def build_router() -> APIRouter:
    router = APIRouter(responses=REFUSED)
    router.post(
        "/token",
        response_model=TokenResponseIF,
        summary="Get OAuth 2.0 access and refresh tokens (authorization_code, refresh_token)",
    )(create_token)
    router.get(
        "/access-tokens/{token}",
        response_model=AccessTokenInfoResponse,
        responses={404: {"model": OAuthError, "description": "Not a current access token."}},
        summary="Get the metadata of an access token",
    )(access_token_info)
    router.get(
        "/refresh-tokens/{token}",
        response_model=RefreshTokenInfoResponse,
        summary="Get the metadata of a refresh token",
    )(refresh_token_info)
    router.delete(
        "/refresh-tokens/{token}",
        status_code=204,
        response_class=Response,
        summary="Delete a refresh token (revokes its grant: every token made from it)",
    )(delete_refresh_token)
    return router
