"""The hosted pages under ``/preferences/{token}``. Thin: parse, call the page service, render.

GET and HEAD only ever render (mail scanners follow links). Changes happen on the pages' form
POSTs, checked against a CSRF token, and on RFC 8058 one-click POSTs to the unsubscribe URLs.
Whatever goes wrong, the subscriber gets a short HTML page, never JSON or a traceback.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from commprefs.centre.models import (
    DEFAULT_COLOUR,
    SOURCE_ONE_CLICK,
    SOURCE_PAGE,
    Brand,
    DonePage,
    SubmittedForm,
)
from commprefs.centre.service import PageService, readable_on
from commprefs.domain.errors import CommprefsError
from commprefs.domain.link_signing import valid_nonce
from commprefs.pages.render import CSRF_COOKIE, PageRenderer, plain, set_csrf_cookie, text
from commprefs.services import Services

log = logging.getLogger("commprefs.pages")
NEUTRAL = Brand("Email preferences", DEFAULT_COLOUR, readable_on(DEFAULT_COLOUR), None)
ONE_CLICK = "One-Click"
ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"
# What the confirmation says when only a plain page can be sent (see _done).
_DONE = {
    "saved": ("Your preferences are saved", "Your changes were saved."),
    "unsubscribed-all": ("You are unsubscribed", "You will no longer get email from us."),
    "unsubscribed-single": ("You are unsubscribed", "You will no longer get these emails."),
}
_TITLES = {
    403: "This form has expired",
    404: "This link is not valid",
    410: "This link has expired",
}


class PageRoute(APIRoute):
    """Renders every failure of a page route as a friendly HTML page with the right status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except CommprefsError as error:
                if error.status_code >= 500:  # the service's fault (its database away)
                    _log_line(request, error)
                title = getattr(error, "page_title", None)  # a fault that names itself
                return _error_page(request, error.status_code, error.message, title)
            except HTTPException as error:
                return _error_page(request, error.status_code, "The request could not be read.")
            except ClientDisconnect:
                # The client left, or was cut off for being slow (BodyReadTimeout sends the 408),
                # before its form arrived: nothing ran, and nobody reads this answer.
                _log_line(request, "the client left before its request body arrived")
                return _error_page(request, 400, "The request could not be read.")
            except Exception:
                # True here: a failure after a change committed never gets this far (_done).
                log.exception("page error %s on %s", request.state.request_id, request.method)
                message = "Something went wrong on our side. Nothing was changed; please try again."
                return _error_page(request, 500, message)

        return guarded


def _log_line(request: Request, what: object) -> None:
    """One line, no traceback, for a fault that is not a bug. It names the request by its id
    and method only: the path holds the link's token."""
    log.warning("page %s on %s: %s", request.state.request_id, request.method, what)


router = APIRouter(prefix="/preferences", include_in_schema=False, route_class=PageRoute)


def _services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def _pages(request: Request) -> PageService:
    return _services(request).pages


def _renderer(request: Request) -> PageRenderer:
    found: PageRenderer = request.app.state.page_renderer
    return found


def _error_page(request: Request, status: int, message: str, title: str | None = None) -> Response:
    if title is None:
        title = _TITLES.get(
            status, "Something went wrong" if status >= 500 else "Request not accepted"
        )
    try:
        return _renderer(request).page("error.html", status, NEUTRAL, title=title, message=message)
    except Exception:
        log.exception("error page %s could not be rendered", request.state.request_id)
        return plain(status, title, message)


def _done(request: Request, done: DonePage) -> Response:
    """The answer to a change that has committed. Nothing here may turn it into an error page:
    that would deny the change, so if the confirmation cannot be rendered, a plain one says it."""
    try:
        return _renderer(request).page("done.html", brand=done.context.brand, page=done)
    except Exception:
        log.exception("confirmation %s could not be rendered", request.state.request_id)
        title, message = _DONE[done.kind]
        if done.failed:
            title = "Your preferences are partly saved"
            message = "Some could not be changed; please open the link again to check them."
        return plain(200, title, message)


def _nonce(request: Request) -> str:
    """The CSRF cookie's nonce: kept when the browser has one, so several open pages work."""
    current = request.cookies.get(CSRF_COOKIE)
    return current if current and valid_nonce(current) else secrets.token_urlsafe(24)


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _fields(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]


def _is_one_click(raw: bytes, form: FormData) -> bool:
    """RFC 8058: the body ``List-Unsubscribe=One-Click``, form-encoded or multipart. A body
    without a form content type is accepted too: some senders' tools omit it."""
    return _field(form, "List-Unsubscribe") == ONE_CLICK or raw.strip() == ONE_CLICK_BODY


def _submitted(request: Request, form: FormData) -> SubmittedForm:
    return SubmittedForm(
        csrf=_field(form, "csrf"),
        cookie=request.cookies.get(CSRF_COOKIE),
        shown=_fields(form, "shown"),
        ticked=_fields(form, "subscribed"),
    )


def page_origin(request: Request) -> dict[str, Any]:
    """The IP and user agent of a page's request, for its consent context (as the API's)."""
    return _services(request).origin(request.scope.get("client"), request.headers)


def _with_cookie(request: Request, response: Response, nonce: str) -> Response:
    set_csrf_cookie(response, nonce, _services(request).settings.public_url)
    return response


@router.api_route("/{token}", methods=["GET", "HEAD"])
async def manage_page(request: Request, token: str) -> Response:
    nonce = _nonce(request)
    page = await _pages(request).manage_page(token, nonce, request.state.request_id)
    response = _renderer(request).page("manage.html", brand=page.context.brand, page=page)
    return _with_cookie(request, response, nonce)


@router.post("/{token}")
async def save_preferences(request: Request, token: str) -> Response:
    form = await request.form()
    submitted = _submitted(request, form)
    done = await _pages(request).save(
        token, submitted, request.state.request_id, page_origin(request)
    )
    return _done(request, done)


async def _confirm(request: Request, token: str, single: bool) -> Response:
    nonce = _nonce(request)
    page = await _pages(request).confirm_page(token, nonce, single, request.state.request_id)
    response = _renderer(request).page("confirm.html", brand=page.context.brand, page=page)
    return _with_cookie(request, response, nonce)


async def _unsubscribe(request: Request, token: str, single: bool) -> Response:
    raw = await request.body()  # read first: the form is then parsed from the kept bytes
    form = await request.form()
    pages = _pages(request)
    origin = page_origin(request)
    if _is_one_click(raw, form):
        await pages.unsubscribe(
            token, single, SOURCE_ONE_CLICK, request.state.request_id, None, origin
        )
        return text("Unsubscribed.")
    submitted = _submitted(request, form)
    done = await pages.unsubscribe(
        token, single, SOURCE_PAGE, request.state.request_id, submitted, origin
    )
    return _done(request, done)


@router.api_route("/{token}/unsubscribe-all", methods=["GET", "HEAD"])
async def unsubscribe_all_page(request: Request, token: str) -> Response:
    return await _confirm(request, token, single=False)


@router.post("/{token}/unsubscribe-all")
async def unsubscribe_all(request: Request, token: str) -> Response:
    return await _unsubscribe(request, token, single=False)


@router.api_route("/{token}/unsubscribe", methods=["GET", "HEAD"])
async def unsubscribe_single_page(request: Request, token: str) -> Response:
    return await _confirm(request, token, single=True)


@router.post("/{token}/unsubscribe")
async def unsubscribe_single(request: Request, token: str) -> Response:
    return await _unsubscribe(request, token, single=True)


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
async def unknown_page(request: Request, rest: str) -> Response:
    message = "There is no page at this address. Please use a link from our emails."
    return _error_page(request, 404, message)
