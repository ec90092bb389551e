"""The wire shapes of HubSpot's OAuth v1 API, with the names of hubspot-api-client's models
(``hubspot.oauth.models``): TokenResponseIF, AccessTokenInfoResponse, RefreshTokenInfoResponse,
and the OAuth error body (``status`` is the reason's code, e.g. ``BAD_REFRESH_TOKEN``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from commprefs.domain.oauth import TokenPair
from commprefs.oauth.models import TokenInfo


class TokenResponseIF(BaseModel):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str


class AccessTokenInfoResponse(BaseModel):
    token: str
    token_type: str
    hub_id: int
    app_id: int
    user_id: int
    scopes: list[str]
    expires_in: int


class RefreshTokenInfoResponse(BaseModel):
    token: str
    token_type: str
    hub_id: int
    client_id: str
    user_id: int
    scopes: list[str]


class OAuthError(BaseModel):
    status: str
    message: str
    correlationId: str  # noqa: N815


def render_pair(pair: TokenPair) -> dict[str, Any]:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_in": pair.expires_in,
        "token_type": "bearer",
    }


def render_info(info: TokenInfo) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token": info.token,
        "token_type": info.token_type,
        "hub_id": info.hub_id,
        "user_id": info.user_id,
        "scopes": info.scopes,
    }
    if info.expires_in is not None:  # an access token
        body.update(app_id=info.app_id, expires_in=info.expires_in)
    else:
        body["client_id"] = info.client_id
    return body
