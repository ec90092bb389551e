"""Request-scoped dependencies: the services, and the authenticated, authorised caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.security.utils import get_authorization_scheme_param

from commprefs.api import idempotency, ratelimit
from commprefs.auth.service import authorize, authorize_instance
from commprefs.domain.admin import AdminActor
from commprefs.domain.oauth import is_access_token
from commprefs.domain.preferences import Actor
from commprefs.domain.tokens import ScopeRule
from commprefs.services import Services

# The bearer token is read by ``require`` itself rather than by FastAPI's HTTPBearer dependency:
# one level less of dependency solving on every request (~10 µs of ~250, bench/inprocess.py). The
# OpenAPI document still declares the scheme on every operation that needs it
# (document_bearer_security).
BEARER_SCHEME = {
    "type": "http",
    "description": "A commprefs access token (Bearer).",
    "scheme": "bearer",
}


# HubSpot's OAuth token API (api/oauth/): its client credentials and tokens are in the request.
OAUTH_PATHS = "/oauth/"

# request.state: the services bound to the request's transaction, once ``require`` claimed its key.
BOUND_SERVICES = "bound_services"


def services(request: Request) -> Services:
    """The services a route calls: the app's own, or, once ``require`` has claimed the request's
    Idempotency-Key, the same services bound to the transaction that holds the key, so that what
    the operation writes commits with the key and its stored response (idempotency/service.py)."""
    # Every HTTP request has its state (api/middleware.py RequestContext).
    found: Services = request.scope["state"].get(BOUND_SERVICES) or request.app.state.services
    return found


def require(rule: ScopeRule, api: str | None = None) -> Callable[..., Awaitable[Actor]]:
    """A dependency that authenticates the bearer token, counts the call against the token's
    rate limit, checks ``rule``'s scopes and claims the request's Idempotency-Key, if any: from
    then on ``services(request)`` are bound to the transaction that holds the key.

    ``api`` is what the caller's changes are recorded under in the ledger; without it, the API of
    the matched route (``routing.ApiRoute.serving``), for operations served under several
    prefixes."""

    async def authorized(request: Request) -> Actor:
        # As HTTPBearer(auto_error=False) reads it; anything else is our 401 in HubSpot's body.
        scheme, secret = get_authorization_scheme_param(request.headers.get("authorization"))
        credential = secret if scheme.lower() == "bearer" and secret else None
        # An OAuth access token (issue 14) stands for its grant, a token like any other.
        found = services(request)
        authenticator = found.oauth if is_access_token(credential) else found.tokens
        token = await authenticator.authenticate(credential)
        request.scope["state"]["token_id"] = token.id  # for the request's log line
        await ratelimit.enforce(request, token.secret_sha256)
        portal_id = authorize(token, rule)
        transaction = await idempotency.claim(request, portal_id)
        if transaction is not None:
            # The operation runs in the transaction that holds the key: see services().
            request.scope["state"][BOUND_SERVICES] = services(request).within(transaction)
        return Actor(
            portal_id=portal_id,
            token_id=token.id,
            request_id=request.state.request_id,
            api=api or request.scope["route"].api,
            context={"via": "api", "tokenId": token.id, "tokenName": token.name}
            | request_origin(request),
        )

    return authorized


def require_instance(rule: ScopeRule) -> Callable[..., Awaitable[AdminActor]]:
    """As ``require``, for the instance's operations (portals, link keys): only an instance
    token (``commprefs tokens create --instance``) holding ``rule``'s scopes passes. These
    operations take no Idempotency-Key (they are not under HubSpot's paths)."""

    async def authorized(request: Request) -> AdminActor:
        scheme, secret = get_authorization_scheme_param(request.headers.get("authorization"))
        token = await services(request).tokens.authenticate(
            secret if scheme.lower() == "bearer" and secret else None
        )
        request.scope["state"]["token_id"] = token.id
        await ratelimit.enforce(request, token.secret_sha256)
        authorize_instance(token, rule)
        return AdminActor(None, token.id, request.state.request_id)

    return authorized


def request_origin(request: Request) -> dict[str, Any]:
    """The client's IP (believed from X-Forwarded-For only behind a trusted proxy) and user
    agent, as the operator keeps them (COMMPREFS_CONSENT_IP): for the consent context."""
    found: Services = request.app.state.services
    return found.origin(request.scope.get("client"), request.headers)


def document_bearer_security(document: dict[str, Any]) -> None:
    """Declare the bearer scheme on every documented operation: each one ``require``s a token
    (tests/integration/test_authorization_matrix.py holds every operation to it)."""
    document.setdefault("components", {})["securitySchemes"] = {"HTTPBearer": BEARER_SCHEME}
    for path, operations in document.get("paths", {}).items():
        if path.startswith(OAUTH_PATHS):  # issue 14: a token request carries no bearer token
            continue
        for operation in operations.values():
            operation["security"] = [{"HTTPBearer": []}]
