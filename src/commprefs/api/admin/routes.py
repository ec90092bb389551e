"""The admin API's router: every resource's routes under ``/commprefs/v1`` (common.PREFIX)."""

from __future__ import annotations

from fastapi import APIRouter

from commprefs.api.admin import audit, definitions, instance, tokens, transfer, units, webhooks
from commprefs.api.admin.common import PREFIX

__all__ = ["PREFIX", "build_router"]


def build_router() -> APIRouter:
    router = APIRouter()
    for module in (instance, units, definitions, tokens, webhooks, transfer, audit):
        router.include_router(module.build_router())
    return router
