"""OAuth apps and the grants they get (issue 14): apps, authorization codes (from the operator or
the consent page), the token endpoint's two grants, access-token authentication, introspection.

A grant is a row of ``tokens`` (scopes, name, revocation), made when a code is exchanged: the
ledger names it as the token that acted, ``tokens list`` shows it, ``tokens revoke`` ends every
access and refresh token of it. Secrets are random with a prefix (domain/oauth.py), stored only
as SHA-256 and compared in constant time. Apps and tokens are not consent changes, so, like
``tokens create``, they write no ledger entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlencode

from commprefs.config import Settings
from commprefs.domain import oauth as rules
from commprefs.domain.clock import Clock
from commprefs.domain.errors import InvalidInput, NotFound, Unauthenticated
from commprefs.domain.link_signing import check_csrf, csrf_token
from commprefs.domain.oauth import OAuthApp, OAuthRefusal, TokenPair
from commprefs.domain.tokens import NO_CREDENTIALS, TokenRecord
from commprefs.oauth.models import (
    ConsentForm,
    ConsentPage,
    CreatedApp,
    IssuedCode,
    TokenInfo,
    TokenRequest,
)
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Repository, Transactions

ACCESS, REFRESH = "access", "refresh"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


class OAuthService:
    def __init__(
        self,
        database: Transactions[Repository],
        clock: Clock,
        settings: Settings,
        form_secret: Callable[[], Awaitable[bytes]],
    ) -> None:
        self.database = database
        self.clock = clock
        self.access_seconds = settings.oauth_access_token_seconds
        self.code_seconds = settings.oauth_code_seconds
        self.form_secret = form_secret  # the key that signs the consent form's CSRF token

    # -- apps and codes --------------------------------------------------------------------------

    async def create_app(
        self, portal_id: int, name: str, redirect_uri: str, scopes: Iterable[str]
    ) -> CreatedApp:
        wanted = rules.checked_scopes(scopes)
        uri = rules.redirect_uri(redirect_uri)
        if not name.strip() or len(name) > 200:
            raise InvalidInput.field("name", "An app needs a name of 1 to 200 characters.")
        secret = _secret(rules.CLIENT_SECRET_PREFIX)
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            app = await repo.create_oauth_app(
                portal_id, name.strip(), str(uuid.uuid4()), digest(secret), uri, wanted,
                self.clock.now_ms(),
            )  # fmt: skip
        return CreatedApp(app, secret)

    async def list_apps(self, portal_id: int | None = None) -> list[OAuthApp]:
        async with self.database.read() as repo:
            return await repo.list_oauth_apps(portal_id)

    async def authorize(
        self, app_id: int, scopes: Iterable[str] | None = None, user_id: int = 0
    ) -> IssuedCode:
        """A code for the app, as if its portal's owner approved it (``apps authorize``)."""
        async with self.database.write() as repo:
            app = await repo.oauth_app(app_id=app_id)
            if app is None:
                raise NotFound(f"No OAuth app with id {app_id}.")
            granted = rules.checked_scopes(app.scopes if scopes is None else scopes, app.scopes)
            return await self._issue_code(repo, app, granted, user_id)

    async def _issue_code(
        self, repo: Repository, app: OAuthApp, scopes: list[str], user_id: int
    ) -> IssuedCode:
        code, now = _secret(rules.CODE_PREFIX), self.clock.now_ms()
        await repo.create_oauth_code(
            app_id=app.id, code_sha256=digest(code), scopes=scopes,
            redirect_uri=app.redirect_uri, user_id=user_id, created_at=now,
            expires_at=now + self.code_seconds * 1000,
        )  # fmt: skip
        return IssuedCode(code, app.redirect_uri, self.code_seconds)

    # -- the consent page ------------------------------------------------------------------------

    async def consent_page(
        self, client_id: str | None, redirect_uri: str | None, scope: str | None,
        state: str | None, nonce: str,
    ) -> ConsentPage:  # fmt: skip
        async with self.database.read() as repo:
            app, scopes = await self._consented(repo, client_id, redirect_uri, scope)
            portal = await require_portal(repo, app.portal_id)
        csrf = csrf_token(await self.form_secret(), app.client_id, nonce, self.clock.now_ms())
        return ConsentPage(app, portal.name, scopes, app.redirect_uri, state, csrf)

    async def decide(self, form: ConsentForm) -> str:
        """The URL the browser goes to next: the app's redirect URI with a new ``code`` (and the
        ``state``) when approved by a token of the portal holding every scope asked for; with
        ``error=access_denied`` when refused."""
        check_csrf(
            await self.form_secret(), form.client_id or "", form.csrf, form.cookie,
            self.clock.now_ms(),
        )  # fmt: skip
        async with self.database.write() as repo:
            app, scopes = await self._consented(repo, form.client_id, form.redirect_uri, form.scope)
            answer: dict[str, str] = {"error": "access_denied"}
            if form.approved:
                approver = await self._approver(repo, app, scopes, form.approver_token)
                answer = {"code": (await self._issue_code(repo, app, scopes, approver.id)).code}
        if form.state:
            answer["state"] = form.state
        separator = "&" if "?" in app.redirect_uri else "?"
        return f"{app.redirect_uri}{separator}{urlencode(answer)}"

    async def _consented(
        self, repo: Repository, client_id: str | None, redirect_uri: str | None, scope: str | None
    ) -> tuple[OAuthApp, list[str]]:
        app = await repo.oauth_app(client_id=client_id) if client_id else None
        if app is None:
            raise InvalidInput.field("client_id", "This app is unknown: check its client_id.")
        if redirect_uri != app.redirect_uri:
            raise InvalidInput.field(
                "redirect_uri", "The redirect_uri is not the one registered for this app."
            )
        asked = (scope or "").replace("+", " ").split() or sorted(app.scopes)
        return app, rules.checked_scopes(asked, app.scopes)

    async def _approver(
        self, repo: Repository, app: OAuthApp, scopes: list[str], secret: str | None
    ) -> TokenRecord:
        """Who may approve: a commprefs token of the app's portal holding every scope granted
        (nobody grants more than they hold)."""
        wanted = digest(secret or "")
        found = await repo.token_by_digest(wanted) if secret else None
        if (
            found is None
            or not found.active
            or found.portal_id != app.portal_id
            or not hmac.compare_digest(wanted, found.secret_sha256)
            or not set(scopes) <= found.scopes
        ):
            raise Unauthenticated(
                "To approve, give an active access token of this portal that holds every scope "
                "the app asks for."
            )
        return found

    # -- the token endpoint ----------------------------------------------------------------------

    async def exchange(self, request: TokenRequest) -> TokenPair:
        """``authorization_code`` or ``refresh_token``: new tokens, or an OAuthRefusal."""
        if request.grant_type not in ("authorization_code", "refresh_token"):
            raise rules.bad_grant_type()
        async with self.database.write() as repo:
            app = await self._client(repo, request)
            if request.grant_type == "authorization_code":
                return await self._redeem_code(repo, app, request)
            return await self._rotate(repo, app, request.refresh_token)

    async def _client(self, repo: Repository, request: TokenRequest) -> OAuthApp:
        app = await repo.oauth_app(client_id=request.client_id) if request.client_id else None
        offered = digest(request.client_secret or "")
        if app is None or not hmac.compare_digest(offered, app.client_secret_sha256):
            raise rules.bad_client()
        return app

    async def _redeem_code(
        self, repo: Repository, app: OAuthApp, request: TokenRequest
    ) -> TokenPair:
        code = await repo.oauth_code(digest(request.code)) if request.code else None
        now = self.clock.now_ms()
        if code is None or code.app_id != app.id or code.used_at is not None:
            raise rules.bad_auth_code()
        if now >= code.expires_at:
            raise rules.expired_auth_code()
        if not request.redirect_uri:
            raise rules.bad_redirect_uri()
        if request.redirect_uri != code.redirect_uri:
            raise rules.mismatched_redirect_uri()
        if not await repo.redeem_oauth_code(code.id, now):  # redeemed meanwhile
            raise rules.bad_auth_code()
        grant = await repo.create_token(
            app.portal_id, f"OAuth app {app.id} ({app.name})"[:200],
            digest(secrets.token_urlsafe(32)),  # no secret maps to it: the grant is never a bearer
            f"oauth-app-{app.id}"[:16], code.scopes, now,
        )  # fmt: skip
        return await self._issue_pair(repo, app, grant.id, code.user_id, now)

    async def _rotate(
        self, repo: Repository, app: OAuthApp, refresh_token: str | None
    ) -> TokenPair:
        found = await repo.oauth_token(REFRESH, digest(refresh_token)) if refresh_token else None
        now = self.clock.now_ms()
        if found is None:
            raise rules.bad_refresh_token()
        issued, grant = found
        if issued.app_id != app.id or issued.ends_at is not None or not grant.active:
            raise rules.bad_refresh_token()
        if not await repo.rotate_refresh_token(issued.id, now):  # rotated meanwhile
            raise rules.bad_refresh_token()
        return await self._issue_pair(repo, app, grant.id, issued.user_id, now)

    async def _issue_pair(
        self, repo: Repository, app: OAuthApp, grant_id: int, user_id: int, now: int
    ) -> TokenPair:
        access, refresh = _secret(rules.ACCESS_TOKEN_PREFIX), _secret(rules.REFRESH_TOKEN_PREFIX)
        for kind, secret, ends_at in (
            (ACCESS, access, now + self.access_seconds * 1000),
            (REFRESH, refresh, None),
        ):
            await repo.create_oauth_token(
                kind=kind, app_id=app.id, token_id=grant_id, secret_sha256=digest(secret),
                user_id=user_id, created_at=now, ends_at=ends_at,
            )  # fmt: skip
        return TokenPair(access, refresh, self.access_seconds)

    # -- using and introspecting tokens ----------------------------------------------------------

    async def authenticate(self, secret: str | None) -> TokenRecord:
        """The grant of a current access token: what the API checks scopes against and records
        in the ledger. Unauthenticated, or ExpiredAuthentication past its expiry."""
        _issued, grant = await self._access(secret)
        return grant

    async def _access(self, secret: str | None) -> tuple[rules.IssuedToken, TokenRecord]:
        if not secret or len(secret) > 512:
            raise Unauthenticated(NO_CREDENTIALS)
        async with self.database.read() as repo:
            found = await repo.oauth_token(ACCESS, digest(secret))
        if found is None or not found[1].active:
            raise Unauthenticated(NO_CREDENTIALS)
        expired_for = self.clock.now_ms() - (found[0].ends_at or 0)
        if expired_for >= 0:
            raise rules.ExpiredAuthentication.since(expired_for)
        return found

    async def access_token_info(self, secret: str) -> TokenInfo:
        try:
            issued, grant = await self._access(secret)
        except rules.ExpiredAuthentication:
            raise
        except Unauthenticated:
            raise rules.unknown_access_token() from None
        left = ((issued.ends_at or 0) - self.clock.now_ms()) // 1000
        return await self._info(secret, ACCESS, issued, grant, left)

    async def refresh_token_info(self, secret: str) -> TokenInfo:
        async with self.database.read() as repo:
            found = await repo.oauth_token(REFRESH, digest(secret)) if secret else None
        if found is None or found[0].ends_at is not None or not found[1].active:
            raise rules.bad_refresh_token()
        return await self._info(secret, REFRESH, found[0], found[1], None)

    async def delete_refresh_token(self, secret: str) -> None:
        """HubSpot's "delete a refresh token", for an app its user uninstalled: the grant is
        revoked, which ends the refresh token and every access token made from the grant."""
        async with self.database.write() as repo:
            found = await repo.oauth_token(REFRESH, digest(secret)) if secret else None
            if found is None or found[0].ends_at is not None or not found[1].active:
                raise rules.bad_refresh_token()
            await repo.revoke_token(found[1].id, self.clock.now_ms())

    async def _info(
        self, secret: str, kind: str, issued: rules.IssuedToken, grant: TokenRecord,
        expires_in: int | None,
    ) -> TokenInfo:  # fmt: skip
        async with self.database.read() as repo:
            app = await repo.oauth_app(app_id=issued.app_id)
        if app is None:  # apps are never deleted; a token without one is not ours
            raise OAuthRefusal("BAD_ACCESS_TOKEN", "missing or invalid access token", 404)
        return TokenInfo(
            secret, kind, app.portal_id, app.id, app.client_id, issued.user_id,
            sorted(grant.scopes), expires_in,
        )  # fmt: skip
