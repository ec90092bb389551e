"""HTML of the console: Jinja2 templates from the package, the pages' strict security headers
(no scripts at all; the one stylesheet inlined under a per-response CSP nonce; charts are inline
SVG), and its cookies: the session's (HttpOnly, SameSite=Lax, Secure under an https public URL)
and the login form's CSRF nonce.
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from commprefs.domain.clock import iso_ms
from commprefs.domain.page_headers import strict_headers

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "commprefs_console"
LOGIN_COOKIE = "commprefs_console_login"
NOTICE_COOKIE = "commprefs_console_notice"

_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["iso"] = lambda ms: "" if ms is None else iso_ms(int(ms))


@cache
def stylesheet() -> str:
    return (HERE / "static" / "console.css").read_text(encoding="utf-8")


def html(template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    body = _environment.get_template(template).render(
        style_nonce=nonce, stylesheet=stylesheet(), **values
    )
    return HTMLResponse(body, status_code=status_code, headers=security_headers(nonce))


def security_headers(nonce: str) -> dict[str, str]:
    # Same-origin Referer: the console's own links carry no credential.
    return strict_headers(f"'nonce-{nonce}'", "'none'", referrer="same-origin")


def _cookie_path(public_url: str, path: str) -> str:
    return (urlsplit(public_url).path.rstrip("/") or "") + path


def set_session_cookie(response: Response, secret: str, public_url: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        path=_cookie_path(public_url, "/console"),
        secure=urlsplit(public_url).scheme == "https",
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, public_url: str) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=_cookie_path(public_url, "/console"),
        secure=urlsplit(public_url).scheme == "https",
        httponly=True,
        samesite="lax",
    )


def set_login_cookie(response: Response, nonce: str, public_url: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path=_cookie_path(public_url, "/console/login"),
        secure=urlsplit(public_url).scheme == "https",
        httponly=True,
        samesite="strict",
    )


def console_page(
    request: Request, template: str, session: Any, active: str, **values: Any
) -> HTMLResponse:
    """A page of a logged-in user: the navigation marks ``active``; forms carry the session's
    CSRF token; the notice a change left (``back``) is shown once."""
    left = request.cookies.get(NOTICE_COOKIE)
    values.setdefault("notice", unquote(left)[:300] if left else "")
    response = html(template, session=session, active=active, **values)
    if left is not None:
        response.delete_cookie(NOTICE_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def back(path: str, notice: str = "") -> Response:
    """The answer to a change: see the page it changed, with what was done said there once. The
    words travel in a cookie, not the URL, so that no link can make the console say anything."""
    response = RedirectResponse(path, status_code=303)
    if notice:
        response.set_cookie(
            NOTICE_COOKIE, quote(notice), max_age=60, path="/", httponly=True, samesite="strict"
        )
    return response
