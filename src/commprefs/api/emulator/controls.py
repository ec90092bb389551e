"""How the control API's routes reach the emulator (seeds, reset, state, journal, faults, clock),
and the operationIds of the served API document (what a fault or a journal entry names an
operation by)."""

from __future__ import annotations

from fastapi import Request

from commprefs.api.deps import services
from commprefs.emulator.service import Emulator


def controls(request: Request) -> Emulator:
    found = services(request).emulator
    if found is None:  # the control routes are only mounted in emulator mode (app.py)
        raise RuntimeError("the emulator's control API is served without emulator mode")
    return found


def operation_ids(request: Request) -> frozenset[str]:
    """Every operationId of the served HubSpot API document (/openapi.json): the main app's,
    which install_emulator leaves in the state it shares with the control app."""
    paths = request.app.state.api_document().get("paths", {})
    return frozenset(
        operation["operationId"]
        for operations in paths.values()
        for operation in operations.values()
        if "operationId" in operation
    )
