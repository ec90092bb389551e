"""Who a portal's ledger entries are about, read as an auditor with the keys would: the rows in
chain order with their sealed personal fields opened (issue 16: the address is never in clear)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from commprefs.config import Settings
from commprefs.services import Services


async def _opened(url: str, portal_id: int) -> list[dict[str, Any]]:
    services = Services.build(Settings(database_url=url))
    try:
        async with services.database.snapshot() as repo:
            rows = [row async for row in repo.chain_rows(portal_id)]
            return await repo.opened(portal_id, rows)
    finally:
        await services.close()


def opened_rows(url: str, portal_id: int) -> list[dict[str, Any]]:
    """Every ledger row of the portal, oldest first, ``subscriber`` None where erased."""
    return asyncio.run(_opened(url, portal_id))


def entries_per_subscriber(url: str, portal_id: int) -> Counter[str]:
    return Counter(r["subscriber"] for r in opened_rows(url, portal_id) if r["subscriber"])
