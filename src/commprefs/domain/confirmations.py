"""Double opt-in (our extension, issue 16): a pending confirmation, its mails and the rules of
when a mail goes out and when a confirmation still holds. No SQL, no HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commprefs.domain.clock import iso_ms
from commprefs.domain.errors import CommprefsError

SOURCE_DOUBLE_OPT_IN = "Double opt-in"
CONFIRMED_EXPLANATION = "Confirmed by the subscriber through the link in a confirmation email"
# A repeat request within this long sends no second mail (a double click, an impatient form).
RESEND_AFTER_MS = 60_000
MAX_MAIL_ERROR = 500


@dataclass(frozen=True)
class Mail:
    """One confirmation mail: queued when requested, sent by the mail worker after commit."""

    id: int
    requested_at: int
    attempts: int
    next_attempt_at: int | None  # None: nothing more to try
    last_error: str | None
    sent_at: int | None
    message_id: str | None


@dataclass(frozen=True)
class Confirmation:
    id: int
    public_id: str
    portal_id: int
    subscriber: str
    business_unit_id: int
    subscription_ids: tuple[int, ...]
    language: str | None
    legal_basis_explanation: str | None
    requested_at: int
    expires_at: int
    request_context: Mapping[str, Any] | None
    confirmed_at: int | None
    mails: tuple[Mail, ...] = ()

    def pending(self, now: int) -> bool:
        return self.confirmed_at is None and now < self.expires_at

    @property
    def last_mail(self) -> Mail | None:
        return max(self.mails, key=lambda mail: mail.id) if self.mails else None

    @property
    def sent_mail(self) -> Mail | None:
        """The latest mail that went out: the one whose link was most likely followed."""
        sent = [mail for mail in self.mails if mail.sent_at is not None]
        return max(sent, key=lambda mail: mail.id) if sent else None


def needs_new_mail(confirmation: Confirmation, now: int) -> bool:
    """A repeat request sends another mail unless the last one was asked for within a minute."""
    last = confirmation.last_mail
    return last is None or now - last.requested_at >= RESEND_AFTER_MS


@dataclass(frozen=True)
class DueMail:
    """A mail the worker has claimed, with what it needs to write it."""

    mail: Mail
    confirmation: Confirmation


class ConfirmationGone(CommprefsError):
    """410: the confirmation link was genuine, but it expired or was used already."""

    status_code = 410
    category = "OBJECT_NOT_FOUND"

    def __init__(self, message: str, page_title: str) -> None:
        super().__init__(message)
        self.page_title = page_title  # what the friendly page is headed with


def proof(confirmation: Confirmation, now: int, origin: Mapping[str, Any]) -> dict[str, Any]:
    """The consent context of the changes a confirmation makes: the whole proof, from who asked
    to who confirmed, from where."""
    sent = confirmation.sent_mail
    values: dict[str, Any] = {
        "via": "confirmation",
        "confirmationId": confirmation.public_id,
        "requestedAt": iso_ms(confirmation.requested_at),
        "requestedBy": dict(confirmation.request_context or {}),
        "mailSentAt": iso_ms(sent.sent_at) if sent and sent.sent_at is not None else None,
        "messageId": sent.message_id if sent else None,
        "confirmedAt": iso_ms(now),
        **origin,
    }
    return {key: value for key, value in values.items() if value is not None}
