"""The console's tokens (a new secret shown once), webhooks (backlog, lag, failures), imports
(an upload becomes a job whose progress page reloads itself until it is done, with its rejected
rows to download) and exports (streamed downloads). Thin, as routes.py."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from commprefs.console.guard import (
    ConsoleRoute,
    changed,
    error_page,
    field,
    number,
    posted,
    services,
    session,
)
from commprefs.console.render import back, console_page
from commprefs.domain.operators import ConsoleSession
from commprefs.domain.tokens import ALL_SCOPES, TokenRecord

router = APIRouter(route_class=ConsoleRoute)


@router.get("/imports")
async def imports(request: Request) -> Response:
    signed_in = await session(request)
    jobs = services(request).transfers.portal_jobs(signed_in.user)
    return console_page(request, "imports.html", signed_in, "imports", jobs=jobs, job=None)


@router.post("/imports")
async def start_import(request: Request) -> Response:
    signed_in, form = await posted(request)
    upload = form.get("file")
    filename, data = "", None
    if upload is not None and not isinstance(upload, str):
        filename, data = upload.filename or "upload.csv", await upload.read()
    job = services(request).transfers.start_import(
        signed_in.user, filename, data, field(form, "format") or None
    )
    return RedirectResponse(f"/console/imports/{job.id}", status_code=303)


@router.get("/imports/{job_id}")
async def import_job(request: Request, job_id: str) -> Response:
    signed_in = await session(request)
    job = services(request).transfers.job(signed_in.user, job_id)
    return console_page(
        request,
        "imports.html",
        signed_in,
        "imports",
        jobs=[],
        job=job,
        refresh=0 if job.done else 1,
    )


@router.get("/imports/{job_id}/rejects")
async def import_rejects(request: Request, job_id: str) -> Response:
    signed_in = await session(request)
    job = services(request).transfers.job(signed_in.user, job_id)
    if job.rejects is None or not job.done:
        return error_page(404, "This import has no rejected rows.")
    return FileResponse(
        job.rejects,
        filename=f"rejects-{job.id[:8]}.{job.format}",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/exports")
async def exports(request: Request) -> Response:
    signed_in = await session(request)
    return console_page(request, "exports.html", signed_in, "exports")


@router.get("/exports/{kind}.{fmt}")
async def export(request: Request, kind: str, fmt: str) -> Response:
    signed_in = await session(request)
    chunks = await services(request).transfers.export(signed_in.user, kind, fmt)
    media = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return StreamingResponse(
        chunks(),
        media_type=f"{media}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{kind}.{fmt}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# -- tokens and webhooks -----------------------------------------------------------------------


async def _tokens_page(
    request: Request, signed_in: ConsoleSession, secret: tuple[TokenRecord, str] | None
) -> Response:
    listed = await services(request).console.list_tokens(signed_in.user)
    return console_page(
        request,
        "tokens.html",
        signed_in,
        "tokens",
        tokens=listed,
        scopes=ALL_SCOPES,
        secret=secret,
    )


@router.get("/tokens")
async def tokens(request: Request) -> Response:
    return await _tokens_page(request, await session(request), None)


@router.post("/tokens")
async def create_token(request: Request) -> Response:
    signed_in, form, actor = await changed(request)
    created = await services(request).admin.create_token(
        actor, [s for s in form.getlist("scopes") if isinstance(s, str)], field(form, "name")
    )
    # Shown once, on this answer to the post; never again.
    return await _tokens_page(request, signed_in, created)


@router.post("/tokens/revoke")
async def revoke_token(request: Request) -> Response:
    _, form, actor = await changed(request)
    token_id = number(form, "token")
    await services(request).admin.revoke_token(actor, token_id)
    return back("/console/tokens", f"Token {token_id} is revoked.")


@router.get("/webhooks")
async def webhooks(request: Request) -> Response:
    signed_in = await session(request)
    figures = await services(request).dashboard.overview(signed_in.user.portal_id)
    return console_page(request, "webhooks.html", signed_in, "webhooks", webhooks=figures.webhooks)
