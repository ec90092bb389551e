"""HTML responses of the pages: Jinja2 templates from the package, strict security headers.

No scripts at all; the one stylesheet is inlined under a per-response CSP nonce, so the pages
load nothing from anywhere but the customer's own logo (its origin normalised where branding
is set and where it is read: portals/branding.py).
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from commprefs.pages.models import Brand

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "commprefs_csrf"
CSRF_COOKIE_SECONDS = 86_400

_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def stylesheet() -> str:
    return (HERE / "static" / "pages.css").read_text(encoding="utf-8")


def html(
    template: str,
    status_code: int = 200,
    brand: Brand | None = None,
    **values: Any,
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    logo_origin = brand.logo_origin if brand else None
    body = _environment.get_template(template).render(
        brand=brand, style_nonce=nonce, stylesheet=stylesheet(), **values
    )
    response = HTMLResponse(body, status_code=status_code)
    headers = response.headers
    images = logo_origin or "'none'"
    headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src {images}; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    # The URL is the subscriber's credential: keep it out of Referer headers, caches and indexes.
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cache-Control"] = "no-store"
    headers["X-Robots-Tag"] = "noindex, nofollow"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    return response


def set_csrf_cookie(response: Response, nonce: str, public_url: str) -> None:
    parts = urlsplit(public_url)
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        max_age=CSRF_COOKIE_SECONDS,
        path=(parts.path.rstrip("/") or "") + "/preferences",
        secure=parts.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def text(message: str, status_code: int = 200) -> Response:
    """The short plain answer to an RFC 8058 one-click POST (read by mail providers)."""
    return Response(
        message + "\n",
        status_code=status_code,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"},
    )
