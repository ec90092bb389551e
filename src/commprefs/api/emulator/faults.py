"""``POST /_commprefs/faults`` (add a fault), ``GET`` (list them with their counts), ``DELETE``
(remove one or all); and the answer a fault gives (``fault_answer``), which api/emulator/capture.py
sends in place of the service's."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.api.emulator.controls import controls, operation_ids
from commprefs.api.emulator.schemas import FaultCreated, FaultRequest, Faults
from commprefs.api.errors import error_body
from commprefs.api.http_errors import RateLimited
from commprefs.api.ratelimit import POLICY_NAME
from commprefs.api.responses import JSONBody
from commprefs.domain.injected_faults import (
    RATE_LIMIT_RETRY_AFTER_SECONDS,
    FaultSpec,
    default_answer,
)
from commprefs.emulator.faults import Fault

router = APIRouter()


@router.post(
    "/faults",
    operation_id="addFault",
    summary="Make matching requests fail or wait",
    status_code=201,
    responses={201: {"model": FaultCreated}},
)
async def add_fault(request: Request, fault: FaultRequest) -> Response:
    spec = FaultSpec(
        method=fault.method,
        path=fault.path,
        operation_id=fault.operationId,
        status=fault.status,
        body=fault.body,
        has_body="body" in fault.model_fields_set,
        headers=fault.headers,
        delay_ms=fault.delayMs,
        times=fault.times,
        after=fault.after,
    )
    added = controls(request).faults.add(spec, operation_ids(request))
    return JSONBody({"id": added.id}, status_code=201)


@router.get(
    "/faults",
    operation_id="listFaults",
    summary="The faults, oldest first, with their counts",
    responses={200: {"model": Faults}},
)
async def list_faults(request: Request) -> Response:
    return JSONBody({"results": [render_fault(f) for f in controls(request).faults.list()]})


@router.delete("/faults", operation_id="clearFaults", summary="Remove every fault", status_code=204)
async def clear_faults(request: Request) -> Response:
    controls(request).faults.clear()
    return Response(status_code=204)


@router.delete(
    "/faults/{fault_id}", operation_id="removeFault", summary="Remove a fault", status_code=204
)
async def remove_fault(request: Request, fault_id: int) -> Response:
    controls(request).faults.remove(fault_id)
    return Response(status_code=204)


def render_fault(fault: Fault) -> dict[str, Any]:
    spec = fault.spec
    rendered: dict[str, Any] = {
        "id": fault.id,
        "method": spec.method,
        "path": spec.path,
        "operationId": spec.operation_id,
        "status": spec.status,
        "headers": spec.headers,
        "delayMs": spec.delay_ms,
        "times": spec.times,
        "after": spec.after,
        "seen": fault.seen,
        "hits": fault.hits,
        "active": not fault.exhausted,
    }
    if spec.has_body:
        rendered["body"] = spec.body
    return rendered


def fault_answer(
    spec: FaultSpec, correlation_id: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The status, headers and body a fault with a status answers: HubSpot's for that status
    unless the fault gives its own body or headers (which go over the defaults)."""
    assert spec.status is not None  # a fault without a status only delays
    headers = {"content-type": "application/json"}
    if spec.status == 429:
        limited = RateLimited(POLICY_NAME, RATE_LIMIT_RETRY_AFTER_SECONDS)
        default = {
            **error_body(429, limited.category, limited.message, correlation_id),
            **limited.extra_fields(),
        }
        headers["retry-after"] = str(limited.retry_after_seconds)
    else:
        answer = default_answer(spec.status)
        default = error_body(spec.status, answer.category, answer.message, correlation_id)
    given = {name.lower(): value for name, value in spec.headers.items()}
    headers.update(given)
    if not spec.has_body:
        body = orjson.dumps(default)
    elif spec.body is None:
        body = b""
        if "content-type" not in given:
            del headers["content-type"]
    elif isinstance(spec.body, str) and "json" not in headers.get("content-type", ""):
        body = spec.body.encode()  # a text body, e.g. a gateway's HTML page
    else:
        body = orjson.dumps(spec.body)
    pairs = [(name.encode(), value.encode()) for name, value in headers.items()]
    return spec.status, [*pairs, (b"content-length", str(len(body)).encode())], body
