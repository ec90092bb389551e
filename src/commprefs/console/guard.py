"""What every console request passes through: failures rendered as console pages (a missing
session sends a reading browser to the login page), the session read from its cookie, and the
checks of every form post (same origin, the session's CSRF token)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import RedirectResponse, Response

from commprefs.console.render import SESSION_COOKIE, html
from commprefs.domain.admin import AdminActor
from commprefs.domain.errors import CommprefsError, InvalidInput, Unauthenticated
from commprefs.domain.operators import ConsoleSession, NotAllowed
from commprefs.operators.service import OperatorService, require_admin
from commprefs.services import Services

log = logging.getLogger("commprefs.console")
LOGIN = "/console/login"


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthenticated:
                if request.method in ("GET", "HEAD"):
                    return RedirectResponse(LOGIN, status_code=303)
                return error_page(401, "Please log in again.")
            except CommprefsError as error:
                if error.status_code >= 500:
                    log.warning("console %s: %s", request.state.request_id, error.message)
                return error_page(error.status_code, error.message)
            except (HTTPException, ClientDisconnect):
                return error_page(400, "The request could not be read.")
            except Exception:
                log.exception("console error %s on %s", request.state.request_id, request.method)
                return error_page(500, "Something went wrong on our side; please try again.")

        return guarded


def error_page(status: int, message: str) -> Response:
    return html("error.html", status, message=message, session=None, active="")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def operators(request: Request) -> OperatorService:
    return services(request).operators


async def session(request: Request) -> ConsoleSession:
    found = await operators(request).session(request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise Unauthenticated("Please log in.")
    return found


def same_origin(request: Request) -> None:
    """Refuse a post that a browser says came from another site (SameSite=Lax keeps the cookie
    off most of them already; this covers the rest, and old browsers that send Origin only)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise NotAllowed("Forms of the console are accepted from the console only.")
    origin = request.headers.get("origin")
    if origin is None:
        return
    public = urlsplit(services(request).settings.public_url)
    own = {f"{public.scheme}://{public.netloc}", f"{request.url.scheme}://{request.url.netloc}"}
    if origin not in own:
        raise NotAllowed("Forms of the console are accepted from the console only.")


async def posted(request: Request) -> tuple[ConsoleSession, FormData]:
    """A form post of a logged-in session: same origin, the session's CSRF token."""
    same_origin(request)
    signed_in = await session(request)
    form = await request.form()
    OperatorService.check_csrf(signed_in, field(form, "csrf"))
    return signed_in, form


async def changed(request: Request) -> tuple[ConsoleSession, FormData, AdminActor]:
    """A form post that changes something: ``posted``, by an admin (viewers only read), and the
    admin services' actor for it, the user by id (admin/service.py records it in admin_audit)."""
    signed_in, form = await posted(request)
    require_admin(signed_in.user)
    user = signed_in.user
    return signed_in, form, AdminActor(user.portal_id, None, request.state.request_id, user.id)


def request_origin(request: Request) -> dict[str, Any]:
    """The client's IP and user agent, for a console change's consent context."""
    return services(request).origin(request.scope.get("client"), request.headers)


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def number(form: FormData, name: str) -> int:
    value = field(form, name).strip()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise InvalidInput.field(name, f"{name} must be a number.")
    return int(value)
