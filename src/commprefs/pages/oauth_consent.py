"""``/oauth/authorize`` (issue 14): the page where a portal's owner approves an OAuth app, as
HubSpot's install URL does. GET shows what the app asks for and changes nothing; the form's POST
(CSRF-protected like the preference pages: a signed double-submit token) approves or denies and
sends the browser to the app's registered redirect URI with ``code`` and ``state``, or
``error=access_denied``. Approving takes an access token of the portal that holds every scope
asked for, so nobody grants more than they hold."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from commprefs.domain.link_signing import valid_nonce
from commprefs.oauth.models import ConsentForm
from commprefs.pages.render import PageRenderer
from commprefs.pages.routes import NEUTRAL, PageRoute
from commprefs.services import Services

CONSENT_COOKIE = "commprefs_oauth_csrf"
CONSENT_PATH = "/oauth"

router = APIRouter(prefix=CONSENT_PATH, include_in_schema=False, route_class=PageRoute)


def _services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@router.api_route("/authorize", methods=["GET", "HEAD"])
async def consent_page(request: Request) -> Response:
    current = request.cookies.get(CONSENT_COOKIE)
    nonce = current if valid_nonce(current) else secrets.token_urlsafe(24)
    query = request.query_params
    page = await _services(request).oauth.consent_page(
        query.get("client_id"), query.get("redirect_uri"), query.get("scope"),
        query.get("state"), nonce,
    )  # fmt: skip
    renderer: PageRenderer = request.app.state.page_renderer
    response = renderer.page("consent.html", brand=NEUTRAL, page=page)
    # The form's answer is a redirect to the app: allow the form to go there (CSP form-action).
    target = urlsplit(page.redirect_uri)
    response.headers["Content-Security-Policy"] = response.headers[
        "Content-Security-Policy"
    ].replace("form-action 'self'", f"form-action 'self' {target.scheme}://{target.netloc}")
    public = urlsplit(_services(request).settings.public_url)
    response.set_cookie(
        CONSENT_COOKIE,
        nonce,
        max_age=3600,
        path=(public.path.rstrip("/") or "") + CONSENT_PATH,
        secure=public.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/authorize")
async def decide(request: Request) -> Response:
    form = await request.form()
    decided = ConsentForm(
        client_id=_text(form.get("client_id")),
        redirect_uri=_text(form.get("redirect_uri")),
        scope=_text(form.get("scope")),
        state=_text(form.get("state")),
        approver_token=_text(form.get("approver_token")),
        approved=form.get("decision") == "approve",
        csrf=_text(form.get("csrf")),
        cookie=request.cookies.get(CONSENT_COOKIE),
    )
    target = await _services(request).oauth.decide(decided)
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
