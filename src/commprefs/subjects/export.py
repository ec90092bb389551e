"""Access (GDPR Art. 15): one JSON document with everything commprefs holds about an address in
a portal, read in one snapshot: its current statuses and opt-outs, its full history with the
consent context of every change, its confirmations, the change events made of its entries (and
which webhooks have yet to acknowledge them), the remembered replies (Idempotency-Keys) that
hold it, and the rejected rows of admin imports that name it: everything an erasure removes."""

from __future__ import annotations

from typing import Any

import orjson

from commprefs.domain.bodies import render_confirmation, render_entry, render_status, render_wide
from commprefs.domain.clock import Clock, iso_ms
from commprefs.domain.events import STATUS_CHANGED, WIDE_STATUS_CHANGED, event_id
from commprefs.domain.preferences import Channel
from commprefs.domain.rules import effective_status
from commprefs.domain.subscribers import spellings, subscriber_key
from commprefs.domain.urls import redacted_url
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Repository, Transactions

EXPORT_FORMAT = "commprefs-subject-export-v1"


class SubjectExport:
    def __init__(self, database: Transactions[Repository], clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def export(self, portal_id: int, subscriber: str) -> dict[str, Any]:
        key = subscriber_key(subscriber)
        channel = Channel.EMAIL
        async with self.database.snapshot() as repo:
            await require_portal(repo, portal_id)
            now = self.clock.now_ms()
            definitions = await repo.definitions(portal_id)
            stored = (await repo.stored_statuses(portal_id, [key], channel))[key]
            wides = (await repo.wide_statuses(portal_id, [key], channel))[key]
            history = await repo.history(portal_id, key, channel)
            confirmations = await repo.confirmations_of(portal_id, key)
            webhooks = [webhook for webhook, _ in await repo.list_webhooks(portal_id)]
            forms = spellings(subscriber, key)
            replies = await repo.idempotency_records_holding(
                portal_id, tuple(form.encode() for form in forms)
            )
            rejects = await repo.import_rejects_holding(portal_id, forms)
        return {
            "format": EXPORT_FORMAT,
            "portalId": portal_id,
            "subscriberIdString": key,
            "exportedAt": iso_ms(now),
            "statuses": [
                render_status(effective_status(key, channel, d, stored.get(d.id), wides))
                for d in definitions
            ],
            "wideStatuses": [render_wide(wide) for wide in wides],
            "history": [render_entry(entry) for entry in history],
            "confirmations": [render_confirmation(c) for c in confirmations],
            "pendingConfirmations": [c.public_id for c in confirmations if c.pending(now)],
            "webhooks": [
                {
                    "webhookId": w.id,
                    "url": redacted_url(w.url),
                    "acknowledgedSequence": w.delivered_seq,
                }
                for w in webhooks
            ],
            "webhookEvents": [
                {
                    "eventId": event_id(entry.legacy_hash or entry.hash),
                    "type": WIDE_STATUS_CHANGED if entry.wide_type else STATUS_CHANGED,
                    "sequence": entry.seq,
                    "recordedAt": iso_ms(entry.created_at),
                    "awaitingAcknowledgement": [
                        w.id for w in webhooks if entry.seq > w.delivered_seq
                    ],
                }
                for entry in history
            ],
            "idempotencyRecords": [_reply(row) for row in replies],
            "importRejects": [
                {"importId": r["job_id"], "row": r["n"], "fields": r["row"]} for r in rejects
            ],
        }


def _reply(row: dict[str, Any]) -> dict[str, Any]:
    body = bytes(row["body"] or b"")
    try:
        shown: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        shown = body.decode("utf-8", "replace")
    return {
        "idempotencyKey": row["idempotency_key"],
        "createdAt": iso_ms(row["created_at"]),
        "statusCode": row["status_code"],
        "contentType": row["content_type"],
        "body": shown,
    }
