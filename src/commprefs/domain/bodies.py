"""The JSON bodies of the values that the API answers with and ``commprefs … --json`` prints:
subscription types and their translations, statuses, wide ("opted out of all") statuses, ledger
entries, a subscriber's history and state as of a moment.

The CLI's ``--json`` prints the API's shapes on purpose (``commprefs history --json`` is the body
of ``/commprefs/v1``'s history), so both entry points render with these, and neither imports the
other; the pydantic models in ``api/*/schemas.py`` document them in ``/openapi.json``. Times are
ISO-8601 with milliseconds (clock.iso_ms), except a translation's, which HubSpot sends as epoch
milliseconds.
"""

from __future__ import annotations

from typing import Any

from commprefs.domain.clock import iso_ms
from commprefs.domain.confirmations import Confirmation
from commprefs.domain.ledger import HistoryEntry, HistoryPage, StateAsOf
from commprefs.domain.preferences import (
    Channel,
    Definition,
    Reason,
    State,
    Status,
    Translation,
    WideStatus,
)


def render_definition(definition: Definition) -> dict[str, Any]:
    return {
        "id": str(definition.id),
        "name": definition.name,
        "description": definition.description,
        "isActive": definition.is_active,
        "isDefault": definition.is_default,
        "isInternal": definition.is_internal,
        "createdAt": iso_ms(definition.created_at),
        "updatedAt": iso_ms(definition.updated_at),
        "businessUnitId": definition.business_unit_id,
        "communicationMethod": definition.communication_method,
        "purpose": definition.purpose,
    }


def render_translation(translation: Translation) -> dict[str, Any]:
    return {
        "createdAt": translation.created_at,
        "description": translation.description,
        "languageCode": translation.language_code,
        "name": translation.name,
        "subscriptionId": translation.definition_id,
        "updatedAt": translation.updated_at,
    }


def public_status(
    subscriber: str,
    channel: Channel,
    definition: Definition,
    status: State,
    source: str,
    legal_basis: str | None,
    legal_basis_explanation: str | None,
    timestamp: int,
    reason: Reason | None = None,
) -> dict[str, Any]:
    # Absent optional fields are left out, not sent as null: HubSpot's schema types them as
    # plain strings/enums, and strict clients validate against it.
    rendered: dict[str, Any] = {
        "channel": channel.value,
        "source": source,
        "status": status.value,
        "subscriberIdString": subscriber,
        "subscriptionId": definition.id,
        "timestamp": iso_ms(timestamp),
        "businessUnitId": definition.business_unit_id,
        "subscriptionName": definition.name,
    }
    if legal_basis is not None:
        rendered["legalBasis"] = legal_basis
    if legal_basis_explanation is not None:
        rendered["legalBasisExplanation"] = legal_basis_explanation
    if reason is not None:
        rendered["setStatusSuccessReason"] = reason.value
    return rendered


def render_status(status: Status) -> dict[str, Any]:
    return public_status(
        status.subscriber,
        status.channel,
        status.definition,
        status.status,
        status.source,
        status.legal_basis,
        status.legal_basis_explanation,
        status.timestamp,
        status.reason,
    )


def render_wide(wide: WideStatus) -> dict[str, Any]:
    return {
        "channel": wide.channel.value,
        "status": wide.status.value,
        "subscriberIdString": wide.subscriber,
        "timestamp": iso_ms(wide.updated_at),
        "wideStatusType": wide.wide_type.value,
        "businessUnitId": wide.business_unit_id,
    }


def render_entry(entry: HistoryEntry) -> dict[str, Any]:
    occurred = entry.occurred_at if entry.occurred_at is not None else entry.created_at
    return {
        "sequence": entry.seq,
        "recordedAt": iso_ms(entry.created_at),
        "occurredAt": iso_ms(occurred),
        "subscriberIdString": entry.subscriber,
        "channel": entry.channel.value,
        "subscriptionId": entry.subscription_id,
        "subscriptionName": entry.subscription_name,
        "wideStatusType": entry.wide_type.value if entry.wide_type else None,
        "businessUnitId": entry.business_unit_id,
        "oldStatus": entry.old_status.value,
        "newStatus": entry.new_status.value,
        "legalBasis": entry.legal_basis,
        "legalBasisExplanation": entry.legal_basis_explanation,
        "source": entry.source,
        "api": entry.api,
        "tokenId": entry.token_id,
        "tokenName": entry.token_name,
        "requestId": entry.request_id,
        "hash": entry.hash,
        # Who, from where, through what (domain/consent.py); null on entries from before it.
        "context": dict(entry.context) if entry.context is not None else None,
    }


def render_history(page: HistoryPage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subscriberIdString": page.subscriber,
        "results": [render_entry(e) for e in page.entries],
    }
    if page.next_after is not None:
        body["paging"] = {"next": {"after": str(page.next_after)}}
    return body


def render_state(state: StateAsOf) -> dict[str, Any]:
    return {
        "subscriberIdString": state.subscriber,
        "channel": state.channel.value,
        "asOf": iso_ms(state.as_of),
        "statuses": [render_status(s) for s in state.statuses],
        "wideStatuses": [render_wide(w) for w in state.wide_statuses],
    }


# -- double opt-in and access requests (issue 16) ----------------------------------------------


def render_confirmation(confirmation: Confirmation) -> dict[str, Any]:
    """A confirmation as ``/commprefs/v1/…/confirmations`` lists it (and the export holds it)."""
    last = confirmation.last_mail
    sent = confirmation.sent_mail
    return {
        "id": confirmation.public_id,
        "subscriberIdString": confirmation.subscriber,
        "businessUnitId": confirmation.business_unit_id,
        "subscriptionIds": list(confirmation.subscription_ids),
        "language": confirmation.language,
        "legalBasisExplanation": confirmation.legal_basis_explanation,
        "requestedAt": iso_ms(confirmation.requested_at),
        "expiresAt": iso_ms(confirmation.expires_at),
        "confirmedAt": _iso_or_none(confirmation.confirmed_at),
        "requestedBy": dict(confirmation.request_context or {}),
        "mail": {
            "sentAt": _iso_or_none(sent.sent_at if sent else None),
            "messageId": sent.message_id if sent else None,
            "attempts": last.attempts if last else 0,
            "lastError": last.last_error if last else None,
        },
    }


def _iso_or_none(epoch_ms: int | None) -> str | None:
    return None if epoch_ms is None else iso_ms(epoch_ms)


def render_erasure(subject_hash: str, erased_at: int) -> dict[str, Any]:
    """The answer to an erasure (API and CLI): the keyed hash, never the address."""
    return {"subscriberHash": subject_hash, "erasedAt": iso_ms(erased_at)}
