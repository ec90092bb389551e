"""The console's tokens (a new secret shown once), webhooks (backlog, lag, failures), imports
(an upload becomes an import job of the admin API's, admin/imports.py, kept in the database:
its progress page reloads itself until it is done, whichever process runs it, with its rejected
rows to download) and exports (streamed downloads, as the admin API's). Thin, as routes.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from commprefs.console.guard import (
    ConsoleRoute,
    changed,
    error_page,
    field,
    number,
    services,
    session,
)
from commprefs.console.render import back, console_page
from commprefs.domain.admin import ImportJob, JobState
from commprefs.domain.errors import InvalidInput, NotFound
from commprefs.domain.operators import ConsoleSession
from commprefs.domain.tokens import ALL_SCOPES, TokenRecord
from commprefs.transfer.formats import Format, format_of
from commprefs.transfer.schemas import COLUMNS, SUPPRESSION_COLUMNS
from commprefs.transfer.streaming import MEDIA, file_chunks

router = APIRouter(route_class=ConsoleRoute)


@router.get("/imports")
async def imports(request: Request) -> Response:
    signed_in = await session(request)
    jobs = await services(request).import_jobs.jobs(signed_in.user.portal_id)
    return console_page(request, "imports.html", signed_in, "imports", jobs=jobs, job=None)


@router.post("/imports")
async def start_import(request: Request) -> Response:
    signed_in, form, actor = await changed(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput.field("file", "Choose a file to import.", "MISSING_FIELD")
    filename = upload.filename or "upload.csv"
    user = signed_in.user
    job = await services(request).import_jobs.start(
        actor,
        upload.file,
        format_of(filename, field(form, "format") or None),
        f"{user.actor_name}: import of {filename}"[:200],
        context={"fileName": filename, "userId": user.id, "user": user.email},
    )
    return RedirectResponse(f"/console/imports/{job.id}", status_code=303)


async def _job(request: Request, signed_in: ConsoleSession, job_id: str) -> ImportJob:
    if not job_id.isascii() or not job_id.isdigit() or len(job_id) > 18:
        raise NotFound(f"No import with id {job_id}.")
    return await services(request).import_jobs.job(signed_in.user.portal_id, int(job_id))


@router.get("/imports/{job_id}")
async def import_job(request: Request, job_id: str) -> Response:
    """An import's progress, from the database (whichever server process runs it)."""
    signed_in = await session(request)
    job = await _job(request, signed_in, job_id)
    running = job.state is JobState.RUNNING
    return console_page(
        request,
        "imports.html",
        signed_in,
        "imports",
        jobs=[],
        job=job,
        refresh=1 if running else 0,
    )


@router.get("/imports/{job_id}/rejects")
async def import_rejects(request: Request, job_id: str) -> Response:
    signed_in = await session(request)
    job = await _job(request, signed_in, job_id)
    if job.state is JobState.RUNNING or not job.rejected:
        return error_page(404, "This import has no rejected rows.")
    _, columns, rows = await services(request).import_jobs.rejects(job.portal_id, job.id)
    fmt: Format = "csv" if job.format == "csv" else "ndjson"
    return _download(await file_chunks(rows, fmt, columns), fmt, f"rejects-{job.id}")


@router.get("/exports")
async def exports(request: Request) -> Response:
    signed_in = await session(request)
    return console_page(request, "exports.html", signed_in, "exports")


@router.get("/exports/{kind}.{fmt}")
async def export(request: Request, kind: str, fmt: str) -> Response:
    signed_in = await session(request)
    chosen = format_of("export", fmt)
    exports = services(request).exports
    portal_id = signed_in.user.portal_id
    columns: tuple[str, ...]
    if kind == "suppression":
        rows, columns = exports.suppression(portal_id), SUPPRESSION_COLUMNS
    elif kind == "statuses":
        rows, columns = exports.statuses(portal_id), COLUMNS
    else:
        raise NotFound("There is no such export.")
    return _download(await file_chunks(rows, chosen, columns), chosen, kind)


def _download(chunks: AsyncIterator[bytes], fmt: Format, name: str) -> Response:
    extension = "csv" if fmt == "csv" else "ndjson"
    return StreamingResponse(
        chunks,
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{extension}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# -- tokens and webhooks -----------------------------------------------------------------------


async def _tokens_page(
    request: Request, signed_in: ConsoleSession, secret: tuple[TokenRecord, str] | None
) -> Response:
    listed = await services(request).tokens.list(signed_in.user.portal_id)
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
