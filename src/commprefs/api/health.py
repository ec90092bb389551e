"""``GET /healthz`` (the process answers) and ``GET /readyz`` (database reachable, schema at head,
the emulator's seed applied; else 503 with the reason), in every mode, without a token, outside
HubSpot's document. Neither reveals any data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.api.deps import services
from commprefs.api.responses import JSONBody

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> Response:
    return JSONBody({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    reason = await services(request).unready()
    if reason is not None:
        return JSONBody({"status": "unavailable", "reason": reason}, status_code=503)
    return JSONBody({"status": "ready"})
