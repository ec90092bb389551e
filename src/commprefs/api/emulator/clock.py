"""``GET /_commprefs/clock`` (what time the service thinks it is), ``PUT`` (set it, frozen or
running), ``POST /_commprefs/clock/advance`` (move it forward) and ``DELETE`` (real time again)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from commprefs.api.emulator.controls import controls
from commprefs.api.emulator.schemas import ClockAdvance, ClockReading, ClockSetting
from commprefs.api.responses import JSONBody
from commprefs.domain.clock import InstantError, iso_ms, parse_instant
from commprefs.domain.errors import InvalidInput
from commprefs.emulator import clock

router = APIRouter()
_READING: dict[int | str, dict[str, Any]] = {200: {"model": ClockReading}}


@router.get("/clock", operation_id="readClock", summary="The service's time", responses=_READING)
async def read_clock(request: Request) -> Response:
    return render(controls(request).clock.reading())


@router.put("/clock", operation_id="setClock", summary="Set the time", responses=_READING)
async def set_clock(request: Request, setting: ClockSetting) -> Response:
    try:
        now_ms = None if setting.now is None else parse_instant(setting.now)
    except InstantError as error:
        raise InvalidInput.field("now", str(error)) from None
    return render(controls(request).clock.set(now_ms, setting.frozen))


@router.post(
    "/clock/advance",
    operation_id="advanceClock",
    summary="Move the time forward",
    responses=_READING,
)
async def advance_clock(request: Request, advance: ClockAdvance) -> Response:
    return render(controls(request).clock.advance(advance.seconds))


@router.delete(
    "/clock", operation_id="resetClock", summary="Follow real time again", responses=_READING
)
async def reset_clock(request: Request) -> Response:
    return render(controls(request).clock.follow_real_time())


def render(reading: clock.ClockReading) -> Response:
    return JSONBody(
        {
            "now": iso_ms(reading.now_ms),
            "nowMs": reading.now_ms,
            "frozen": reading.frozen,
            "realTime": reading.real_time,
        }
    )
