"""The console's pages under ``/console/``. Thin: parse, call one service, render.

GET only reads. Every change is a form post that carries its session's CSRF token and comes from
the console's own origin (console/guard.py); it answers with a redirect to the page it changed
(post/redirect/get), or with a page when there is something to show once (a token's secret).
Administrative changes are the admin API's (admin/service.py: one rule, one audit record in
admin_audit naming the console user); status changes are the console's own (operators/changes.py).
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from commprefs.console.charts import day_chart
from commprefs.console.guard import (
    ConsoleRoute,
    changed,
    error_page,
    field,
    number,
    operators,
    posted,
    request_origin,
    same_origin,
    services,
    session,
)
from commprefs.console.operations_routes import router as operations_router
from commprefs.console.render import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    back,
    clear_session_cookie,
    console_page,
    html,
    set_login_cookie,
    set_session_cookie,
)
from commprefs.console.subjects_routes import router as subjects_router
from commprefs.domain.errors import Unauthenticated
from commprefs.domain.preferences import LegalBasis, State
from commprefs.portals.service import DefinitionChanges

router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)
STATES = [s.value for s in State]
BASES = [b.value for b in LegalBasis]


@router.get("")
async def console_root() -> Response:
    return RedirectResponse("/console/", status_code=308)


# -- logging in and out --------------------------------------------------------------------------


def _login_page(request: Request, status: int = 200, message: str = "") -> Response:
    nonce = secrets.token_urlsafe(24)
    response = html("login.html", status, session=None, active="", nonce=nonce, message=message)
    set_login_cookie(response, nonce, services(request).settings.public_url)
    return response


@router.get("/login")
async def login_page(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def log_in(request: Request) -> Response:
    same_origin(request)
    form = await request.form()
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not secrets.compare_digest(cookie.encode(), field(form, "csrf").encode()):
        return _login_page(request, 403, "The form expired; please try again.")
    try:
        _, secret = await operators(request).log_in(
            field(form, "email"), field(form, "password"), request.state.request_id
        )
    except Unauthenticated as error:
        return _login_page(request, 401, error.message)
    response = RedirectResponse("/console/", status_code=303)
    set_session_cookie(response, secret, services(request).settings.public_url)
    return response


@router.post("/logout")
async def log_out(request: Request) -> Response:
    await posted(request)
    await operators(request).log_out(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=303)
    clear_session_cookie(response, services(request).settings.public_url)
    return response


# -- overview --------------------------------------------------------------------------------------


@router.get("/")
async def overview(request: Request) -> Response:
    signed_in = await session(request)
    figures = await services(request).dashboard.overview(signed_in.user.portal_id)
    return console_page(
        request,
        "overview.html",
        signed_in,
        "overview",
        overview=figures,
        chart=day_chart(figures.days),
    )


@router.post("/ledger/verify")
async def verify_ledger(request: Request) -> Response:
    signed_in, _ = await posted(request)
    report = await services(request).dashboard.verify_chain(signed_in.user)
    return back(
        "/console/", "The ledger is intact." if report.intact else "The ledger is NOT intact."
    )


# -- subscribers -------------------------------------------------------------------------------


@router.get("/subscribers")
async def subscribers(request: Request) -> Response:
    signed_in = await session(request)
    query = request.query_params.get("q", "").strip()
    found = await services(request).console.search(signed_in.user, query)
    return console_page(
        request, "subscribers.html", signed_in, "subscribers", query=query, found=found
    )


@router.get("/subscriber")
async def subscriber(request: Request) -> Response:
    signed_in = await session(request)
    params = request.query_params
    view = await services(request).console.subscriber(
        signed_in.user, request.state.request_id, params.get("address", ""), params.get("as_of")
    )
    return console_page(
        request,
        "subscriber.html",
        signed_in,
        "subscribers",
        view=view,
        as_of=params.get("as_of", ""),
        states=STATES,
        bases=BASES,
    )


@router.post("/subscriber/status")
async def change_status(request: Request) -> Response:
    signed_in, form = await posted(request)
    address = field(form, "address")
    await services(request).console.change_status(
        signed_in.user,
        request.state.request_id,
        address,
        number(form, "subscription"),
        field(form, "state"),
        field(form, "reason"),
        field(form, "legal_basis"),
        field(form, "explanation"),
        request_origin(request),
    )
    return back(f"/console/subscriber?address={quote(address)}", "The status is changed.")


# -- subscription types and brands: the admin API's changes (admin/service.py) ----------------


@router.get("/types")
async def types(request: Request) -> Response:
    signed_in = await session(request)
    # The admin API's reads (every type, active or not, with its translations; every brand).
    listed = await services(request).portals.definitions(signed_in.user.portal_id)
    units = await services(request).portals.business_units(signed_in.user.portal_id)
    language = request.query_params.get("language", "")
    preview = await services(request).console.preview(signed_in.user, language)
    return console_page(
        request,
        "types.html",
        signed_in,
        "types",
        types=listed,
        units=units,
        preview=preview,
        language=language,
    )


@router.post("/types")
async def create_type(request: Request) -> Response:
    _, form, actor = await changed(request)
    created = await services(request).admin.create_definition(
        actor,
        number(form, "business_unit"),
        DefinitionChanges(
            name=field(form, "name"),
            description=field(form, "description"),
            purpose=field(form, "purpose"),
        ),
    )
    return back("/console/types", f"Created {created.name}.")


@router.post("/types/edit")
async def edit_type(request: Request) -> Response:
    """Rename, describe, (de)activate a type. A deactivated type is no longer read or offered;
    the choices recorded for it stay, and come back with it."""
    _, form, actor = await changed(request)
    await services(request).admin.update_definition(
        actor,
        number(form, "definition"),
        DefinitionChanges(
            name=field(form, "name"),
            description=field(form, "description"),
            purpose=field(form, "purpose"),
            is_active=field(form, "active") == "on",
        ),
    )
    return back("/console/types", "Saved the type.")


@router.post("/types/translation")
async def translate_type(request: Request) -> Response:
    _, form, actor = await changed(request)
    done = await services(request).admin.translate_definition(
        actor,
        number(form, "definition"),
        field(form, "language"),
        field(form, "name"),
        field(form, "description"),
    )
    return back("/console/types", f"Saved the {done.language_code} translation.")


@router.get("/brands")
async def brands(request: Request) -> Response:
    signed_in = await session(request)
    units = await services(request).portals.business_units(signed_in.user.portal_id)
    return console_page(
        request,
        "brands.html",
        signed_in,
        "brands",
        units=units,
    )


@router.post("/brands")
async def create_brand(request: Request) -> Response:
    _, form, actor = await changed(request)
    unit = await services(request).admin.create_business_unit(actor, field(form, "name"))
    return back("/console/brands", f"Created brand {unit.business_unit_id}.")


@router.post("/brands/branding")
async def brand(request: Request) -> Response:
    """Rename the brand (when a new name is given) and set its page's branding (an empty value
    is the default)."""
    _, form, actor = await changed(request)
    await services(request).admin.update_business_unit(
        actor,
        number(form, "unit"),
        field(form, "unit_name").strip() or None,
        {
            "name": field(form, "name"),
            "colour": field(form, "colour"),
            "logoUrl": field(form, "logo_url"),
        },
    )
    return back("/console/brands", "Branding saved.")


router.include_router(operations_router)
router.include_router(subjects_router)  # the data subjects' rights (issue 17 on issue 16)


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST"])
async def unknown(request: Request, rest: str) -> Response:
    await session(request)
    return error_page(404, "There is no console page at this address.")
