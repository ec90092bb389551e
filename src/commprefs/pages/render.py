"""HTML responses of the pages: Jinja2 templates from the package, strict security headers.

No scripts at all; the one stylesheet is inlined under a per-response CSP nonce, so the pages
load nothing from anywhere but the customer's own logo (its origin normalised where branding
is set and where it is read: domain/brand_rules.py).
"""

from __future__ import annotations

import secrets
from functools import cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from commprefs.centre.models import Brand
from commprefs.domain.page_headers import strict_headers

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


class PageRenderer:
    """Page templates to HTML responses with the pages' security headers. The routes use the
    app's own (``app.state.page_renderer``), so that a test can give them another."""

    def page(
        self,
        template: str,
        status_code: int = 200,
        brand: Brand | None = None,
        **values: Any,
    ) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        body = _environment.get_template(template).render(
            brand=brand, style_nonce=nonce, stylesheet=stylesheet(), **values
        )
        images = (brand.logo_origin if brand else None) or "'none'"
        return HTMLResponse(
            body, status_code=status_code, headers=_security_headers(f"'nonce-{nonce}'", images)
        )


def plain(status_code: int, title: str, message: str) -> HTMLResponse:
    """A page with no template, style or branding: the answer when rendering the real one
    failed. It is built from escaped text and fixed headers only, so it cannot fail itself."""
    body = (
        '<!doctype html>\n<html lang="en">\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>\n"
    )
    return HTMLResponse(
        body, status_code=status_code, headers=_security_headers("'none'", "'none'")
    )


def _security_headers(styles: str, images: str) -> dict[str, str]:
    # The URL is the subscriber's credential: keep it out of Referer headers, caches and indexes.
    return strict_headers(styles, images, referrer="no-referrer")


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
