"""The data subjects' rights on the console's subscriber page (issue 16's Art. 15 and 17): the
subject export downloaded (the API's ``GET …/subscribers/{email}/export`` document) and the
erasure, after a page that asks for the address again (the API's ``DELETE``). Both are form posts
with the session's CSRF token, by admins only (operators/subjects.py). Thin, as routes.py."""

from __future__ import annotations

from urllib.parse import quote

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.console.guard import ConsoleRoute, field, posted, services, session
from commprefs.console.render import back, console_page
from commprefs.domain.subscribers import subscriber_key
from commprefs.operators.service import require_admin

router = APIRouter(route_class=ConsoleRoute)


@router.post("/subscriber/export")
async def export_subject(request: Request) -> Response:
    signed_in, form = await posted(request)
    document = await services(request).console_subjects.export(
        signed_in.user, field(form, "address")
    )
    return Response(
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={
            # No address in the name: downloads folders and proxies' logs keep names.
            "Content-Disposition": 'attachment; filename="subject-export.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/subscriber/erase")
async def confirm_erasure(request: Request) -> Response:
    signed_in = await session(request)
    require_admin(signed_in.user)
    address = subscriber_key(request.query_params.get("address", ""), "address")
    return console_page(request, "erase.html", signed_in, "subscribers", address=address)


@router.post("/subscriber/erase")
async def erase_subject(request: Request) -> Response:
    signed_in, form = await posted(request)
    address = field(form, "address")
    erased = await services(request).console_subjects.erase(
        signed_in.user, request.state.request_id, address, field(form, "confirmation")
    )
    return back(
        f"/console/subscriber?address={quote(address)}",
        f"Erased: subscriber hash {erased.subject_hash}.",
    )
