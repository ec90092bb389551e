"""The double opt-in page (issue 16) under ``/preferences/confirm/{token}``, as thin as the other
pages: GET and HEAD only show what would be confirmed, with a button (mail scanners follow
links); the button's POST, checked against a CSRF token, confirms. Failures (an altered,
expired or used link) are the pages' friendly HTML (pages/routes.py PageRoute)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.confirmations.models import ConfirmedPage
from commprefs.pages.render import plain
from commprefs.pages.routes import (
    PageRoute,
    _nonce,
    _renderer,
    _services,
    _submitted,
    _with_cookie,
    page_origin,
)

log = logging.getLogger("commprefs.pages")

router = APIRouter(prefix="/preferences/confirm", include_in_schema=False, route_class=PageRoute)


@router.api_route("/{token}", methods=["GET", "HEAD"])
async def confirmation_page(request: Request, token: str) -> Response:
    nonce = _nonce(request)
    page = await _services(request).confirmations.page(token, nonce)
    response = _renderer(request).page("optin.html", brand=page.context.brand, page=page)
    return _with_cookie(request, response, nonce)


@router.post("/{token}")
async def confirm(request: Request, token: str) -> Response:
    form = await request.form()
    done = await _services(request).confirmations.confirm(
        token, _submitted(request, form), request.state.request_id, page_origin(request)
    )
    return _confirmed(request, done)


def _confirmed(request: Request, done: ConfirmedPage) -> Response:
    """The answer to a confirmation that has committed: never an error page (pages/routes.py
    ``_done``'s rule)."""
    try:
        return _renderer(request).page("optin_done.html", brand=done.context.brand, page=done)
    except Exception:
        log.exception("confirmation page %s could not be rendered", request.state.request_id)
        return plain(200, "Your subscription is confirmed", "Thank you for confirming.")
