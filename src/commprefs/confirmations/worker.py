"""The mail worker: sends queued confirmation mails over SMTP, retrying with backoff until sent.

Modelled on the webhook worker (webhooks/worker.py): it claims due mails with a lease, so several
workers (or server processes) never send one mail at once; a failure is recorded with the next
attempt's time (exponential backoff, for as long as the confirmation is pending); a mail is marked
sent only after the server took it. A worker stopped or killed at any moment loses nothing: the
mail it held is sent by whichever worker comes next (a kill between the server's acceptance and
the record of it sends that mail twice, never none).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from jinja2 import TemplateError

from commprefs.config import Settings
from commprefs.confirmations.mail import MailComposer
from commprefs.confirmations.service import ConfirmationService
from commprefs.confirmations.smtp import MailError, SmtpSender, SmtpTarget
from commprefs.domain.confirmations import DueMail
from commprefs.store.errors import DatabaseUnavailable
from commprefs.webhooks.worker import in_background

log = logging.getLogger("commprefs.mail")

# Mails sent before the next look for due ones (and for ``stop``).
BATCH = 20


class MailWorker:
    def __init__(self, service: ConfirmationService, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self.owner = f"mail-{uuid.uuid4()}"
        self.lease_ms = int((2 * settings.smtp_timeout_seconds + 1) * 1000)
        target = SmtpTarget.from_url(settings.smtp_url.get_secret_value())
        self.sender = SmtpSender(target, settings.smtp_timeout_seconds)
        self.composer = MailComposer(settings.mail_from, settings.mail_templates)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set, then hand back every claimed mail."""
        log.info("confirmation mail started (%s, via %s)", self.owner, self.sender.target)
        try:
            while not stop.is_set():
                await self._send_due(stop)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.mail_poll_seconds)
        finally:
            with contextlib.suppress(DatabaseUnavailable):
                await self.service.outbox.release(self.owner)
            log.info("confirmation mail stopped (%s)", self.owner)

    async def _send_due(self, stop: asyncio.Event) -> None:
        """Send due mails one claim at a time: a lease covers one SMTP conversation, so it never
        runs out while the mail is still queued behind others."""
        try:
            for _ in range(BATCH):
                claimed = await self.service.outbox.claim_due_mails(self.owner, self.lease_ms, 1)
                if not claimed or stop.is_set():
                    return
                await self._send(claimed[0])
        except DatabaseUnavailable as exc:  # the lease runs out; the mail is sent later
            log.warning("confirmation mail paused: %s", exc)
        except Exception:  # a bug met by one mail must not stop all the others
            log.exception("confirmation mail: unexpected error; the worker goes on")

    async def _send(self, due: DueMail) -> None:
        view = await self.service.outbox.mail_view(due)
        if view is None:
            await self.service.outbox.mail_dropped(due, self.owner, "no longer pending")
            return
        try:
            message = self.composer.compose(view)
            await self.sender.send(message)
        except (MailError, TemplateError) as error:  # an operator's template may be broken
            reason = str(error) if isinstance(error, MailError) else f"template: {error}"
            later = await self.service.outbox.mail_failed(due, self.owner, reason)
            log.warning(
                "confirmation mail %s: attempt %s failed, next at %s ms: %s",
                due.mail.id,
                due.mail.attempts + 1,
                later,
                reason,
            )
            return
        await self.service.outbox.mail_sent(due, self.owner, str(message["Message-ID"]))


def mailing(
    service: ConfirmationService, settings: Settings
) -> contextlib.AbstractAsyncContextManager[None]:
    """Run a mail worker in the background for the duration of a block (the server runs one
    whenever COMMPREFS_SMTP_URL is set)."""
    return in_background(MailWorker(service, settings).run)
