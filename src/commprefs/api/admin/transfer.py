"""Imports and exports over HTTP: an upload becomes an import job (polled, its rejects
downloaded); exports stream as they are read.

POST /commprefs/v1/imports                       multipart: file, format?, source?, match?
GET  /commprefs/v1/imports                       recent jobs, newest first
GET  /commprefs/v1/imports/{importId}            a job's progress
GET  /commprefs/v1/imports/{importId}/rejects    its rejected rows, as `commprefs import` lists them
GET  /commprefs/v1/exports/statuses              every chosen status and opt-out (CSV or NDJSON)
GET  /commprefs/v1/exports/suppression           who must not be sent email [of a brand or type]
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.responses import Response, StreamingResponse

from commprefs.api.admin.common import PREFIX, Administrator, ImportPath, portal_of, router
from commprefs.api.admin.schemas import ImportJob, ImportJobs
from commprefs.api.deps import services
from commprefs.api.params import INT64_MAX, BusinessUnitQuery
from commprefs.api.responses import JSONBody
from commprefs.domain.admin_bodies import render_job
from commprefs.transfer.formats import Format, format_of
from commprefs.transfer.schemas import COLUMNS, SUPPRESSION_COLUMNS
from commprefs.transfer.service import DEFAULT_SOURCE
from commprefs.transfer.streaming import MEDIA, file_chunks

FormatQuery = Annotated[
    Literal["csv", "ndjson"], Query(alias="format", description="csv or ndjson.")
]
SubscriptionQuery = Annotated[
    int | None, Query(alias="subscriptionId", ge=0, le=INT64_MAX, description="A type.")
]
FILE_DOCS = {"content": {"text/csv": {}, "application/x-ndjson": {}}, "description": "The rows."}
IMPORT_UPLOADS = f"{PREFIX}/imports"  # its bodies may be up to COMMPREFS_MAX_IMPORT_BYTES


def build_router() -> APIRouter:
    routes = router("import and export")

    @routes.post(
        "/imports",
        response_model=ImportJob,
        status_code=202,
        summary="Upload a CSV or NDJSON file to import; answered with its job",
    )
    async def start_import(
        request: Request,
        actor: Administrator,
        file: Annotated[UploadFile, File(description="CSV with a header, or NDJSON.")],
        fmt: Annotated[Literal["csv", "ndjson"] | None, Form(alias="format")] = None,
        source: Annotated[str, Form(max_length=200)] = DEFAULT_SOURCE,
        match: Annotated[Literal["id", "name"], Form()] = "id",
    ) -> Response:
        chosen = format_of(file.filename or "", fmt)
        job = await services(request).import_jobs.start(
            actor,
            file.file,
            chosen,
            source,
            match_by_name=match == "name",
            context={"fileName": file.filename or "-"},
        )
        return JSONBody(render_job(job), status_code=202)

    @routes.get("/imports", response_model=ImportJobs, summary="Recent import jobs")
    async def list_imports(request: Request, actor: Administrator) -> Response:
        found = await services(request).import_jobs.jobs(portal_of(actor))
        return JSONBody({"results": [render_job(j) for j in found]})

    @routes.get("/imports/{importId}", response_model=ImportJob, summary="An import job")
    async def get_import(request: Request, job_id: ImportPath, actor: Administrator) -> Response:
        found = await services(request).import_jobs.job(portal_of(actor), job_id)
        return JSONBody(render_job(found))

    @routes.get(
        "/imports/{importId}/rejects",
        response_class=StreamingResponse,
        responses={200: FILE_DOCS},
        summary="An import's rejected rows, in its file's format and columns",
    )
    async def import_rejects(
        request: Request, job_id: ImportPath, actor: Administrator
    ) -> Response:
        job, columns, rows = await services(request).import_jobs.rejects(portal_of(actor), job_id)
        fmt: Format = "csv" if job.format == "csv" else "ndjson"
        return await _stream(rows, fmt, columns, f"import-{job.id}-rejects")

    @routes.get(
        "/exports/statuses",
        response_class=StreamingResponse,
        responses={200: FILE_DOCS},
        summary="Export every chosen status and opt-out of all (re-importable)",
    )
    async def export_statuses(
        request: Request, actor: Administrator, fmt: FormatQuery = "csv"
    ) -> Response:
        rows = services(request).exports.statuses(portal_of(actor))
        return await _stream(rows, fmt, COLUMNS, "statuses")

    @routes.get(
        "/exports/suppression",
        response_class=StreamingResponse,
        responses={200: FILE_DOCS},
        summary="Export who must not be sent email (of any kind, a brand's or a type's)",
    )
    async def export_suppression(
        request: Request,
        actor: Administrator,
        fmt: FormatQuery = "csv",
        subscription_id: SubscriptionQuery = None,
        business_unit_id: BusinessUnitQuery = None,
    ) -> Response:
        rows = services(request).exports.suppression(
            portal_of(actor), subscription_id, business_unit_id
        )
        return await _stream(rows, fmt, SUPPRESSION_COLUMNS, "suppression")

    return routes


async def _stream(
    rows: AsyncIterator[dict[str, Any]], fmt: Format, columns: Sequence[str], name: str
) -> Response:
    """Stream ``rows`` as a file (what the service refuses is a 4xx, not a cut stream)."""
    chunks = await file_chunks(rows, fmt, columns)
    extension = "csv" if fmt == "csv" else "ndjson"
    return StreamingResponse(
        chunks,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{extension}"'},
    )
