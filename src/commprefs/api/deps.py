"""Request-scoped dependencies: the services, and the authenticated, authorised caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from commprefs.api import idempotency, ratelimit
from commprefs.auth.models import ScopeRule
from commprefs.auth.service import authorize
from commprefs.preferences.models import Actor
from commprefs.services import Services

# auto_error=False: a missing or malformed header is our 401 in HubSpot's body, not FastAPI's.
bearer = HTTPBearer(auto_error=False, description="A commprefs access token (Bearer).")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def require(rule: ScopeRule, api: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency that authenticates the bearer token, counts the call against the token's
    rate limit, checks ``rule``'s scopes and claims the request's Idempotency-Key, if any."""

    async def authorized(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> Actor:
        token = await services(request).tokens.authenticate(
            credentials.credentials if credentials else None
        )
        await ratelimit.enforce(request, token.secret_sha256)
        authorize(token, rule)
        await idempotency.claim(request, token.portal_id)
        return Actor(
            portal_id=token.portal_id,
            token_id=token.id,
            request_id=request.state.request_id,
            api=api,
        )

    return authorized
