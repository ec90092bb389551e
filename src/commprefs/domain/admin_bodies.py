"""The JSON bodies of the administration: the admin API answers them and the CLI's ``--json``
prints the same ones (link keys, webhooks, tokens), so that their shapes cannot drift."""

from __future__ import annotations

from typing import Any

from commprefs.domain.admin import AuditRecord, ImportJob, WebhookDeliveries
from commprefs.domain.branding import Branding
from commprefs.domain.clock import iso_ms
from commprefs.domain.ledger import ChainReport
from commprefs.domain.links import KeyInfo
from commprefs.domain.preferences import Portal
from commprefs.domain.tokens import TokenRecord
from commprefs.domain.urls import redacted_url
from commprefs.domain.webhooks import Rewind, Webhook, WebhookState


def _iso(ms: int | None) -> str | None:
    return iso_ms(ms) if ms is not None else None


def render_portal(portal: Portal) -> dict[str, Any]:
    return {"id": portal.id, "name": portal.name, "gdpr": portal.gdpr}


def render_key(key: KeyInfo) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "signing": key.signing,
        "configured": key.configured,
        "createdAt": key.created_at,
        "retiredAt": key.retired_at,
        "verifiesUntil": key.verifies_until,
    }


def render_token(record: TokenRecord) -> dict[str, Any]:
    """A token as it may be listed: its hint, never its secret."""
    return {
        "id": record.id,
        "portalId": record.portal_id,
        "name": record.name,
        "hint": record.hint + "…",
        "scopes": sorted(record.scopes),
        "revoked": not record.active,
        "createdAt": iso_ms(record.created_at),
        "revokedAt": _iso(record.revoked_at),
    }


def render_webhook_state(state: WebhookState) -> dict[str, Any]:
    webhook = state.webhook
    return {
        **render_webhook(webhook),
        "pendingEvents": state.pending,
    }


def render_webhook(webhook: Webhook) -> dict[str, Any]:
    """A webhook without its secret (a hint of it) and with the URL's password masked."""
    return {
        "id": webhook.id,
        "portalId": webhook.portal_id,
        "url": redacted_url(webhook.url),
        "secretHint": webhook.secret_hint,
        "deliveredSequence": webhook.delivered_seq,
        "failedAttempts": webhook.attempts,
        "nextAttemptAt": iso_ms(webhook.next_attempt_at),
        "lastAttemptAt": _iso(webhook.last_attempt_at),
        "lastError": webhook.last_error,
    }


def render_deliveries(found: WebhookDeliveries) -> dict[str, Any]:
    return {
        "webhookId": found.webhook_id,
        "deliveredSequence": found.delivered_sequence,
        "failedAttempts": found.attempts,
        "lastAttemptAt": _iso(found.last_attempt_at),
        "lastError": found.last_error,
        "nextAttemptAt": iso_ms(found.next_attempt_at),
        "results": [
            {
                "sequence": d.sequence,
                "eventId": d.event_id,
                "recordedAt": iso_ms(d.recorded_at),
                "status": d.status,
            }
            for d in found.deliveries
        ],
    }


def render_branding(branding: Branding) -> dict[str, Any]:
    return {
        "portalId": branding.portal_id,
        "id": branding.business_unit_id,
        "name": branding.unit_name,
        "branding": {
            "name": branding.name,
            "colour": branding.colour,
            "logoUrl": branding.logo_url,
        },
    }


def render_job(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "state": job.state.value,
        "format": job.format,
        "rows": job.rows,
        "imported": job.imported,
        "rejected": job.rejected,
        "error": job.error,
        "requestId": job.request_id,
        "tokenId": job.token_id,
        "createdAt": iso_ms(job.created_at),
        "finishedAt": _iso(job.finished_at),
    }


def render_audit(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "action": record.action,
        "target": record.target,
        "detail": record.detail,
        "tokenId": record.token_id,
        "userId": record.user_id,
        "requestId": record.request_id,
        "recordedAt": iso_ms(record.created_at),
    }


def render_chain_report(report: ChainReport) -> dict[str, Any]:
    return {
        "portalId": report.portal_id,
        "intact": report.intact,
        "entries": report.entries,
        "headSequence": report.head_seq,
        "headHash": report.head_hash,
        # Erasure (revision 0008): the cleartext chain's head, as `ledger verify` printed it.
        "legacyHeadSequence": report.legacy_head_seq,
        "legacyHeadHash": report.legacy_head_hash,
        "problems": [{"sequence": p.seq, "message": p.message} for p in report.problems],
    }


def render_rewind(rewind: Rewind) -> dict[str, Any]:
    return {"id": rewind.webhook_id, "fromSequence": rewind.after + 1, "events": rewind.events}
