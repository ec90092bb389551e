"""The mail side of double opt-in: what the mail worker (confirmations/worker.py) claims, what
each mail says, and the record of every attempt (sent with its Message-ID, failed and scheduled
again with exponential backoff, or dropped once its confirmation is no longer pending)."""

from __future__ import annotations

from urllib.parse import quote

from commprefs.centre.service import brand_of
from commprefs.centre.translations import translations_in
from commprefs.config import Settings
from commprefs.confirmations.mail import MailView
from commprefs.domain.clock import Clock, iso_ms
from commprefs.domain.confirmations import MAX_MAIL_ERROR, Confirmation, DueMail
from commprefs.links.service import PAGES_PATH, LinkService
from commprefs.store.interface import Repository, Transactions
from commprefs.webhooks.service import backoff_ms

CONFIRM_PATH = f"{PAGES_PATH}/confirm"


def confirmation_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}{CONFIRM_PATH}/{quote(token, safe='')}"


async def type_names(database: Transactions[Repository], confirmation: Confirmation) -> list[str]:
    """The confirmation's types as the subscriber reads them: translated where a translation in
    its language exists."""
    ids = list(confirmation.subscription_ids)
    async with database.read() as repo:
        definitions = {d.id: d for d in await repo.definitions(confirmation.portal_id)}
    translated = await translations_in(database, confirmation.language, ids)
    names = []
    for i in ids:
        if i in translated:
            names.append(translated[i].name)
        else:
            names.append(definitions[i].name if i in definitions else f"#{i}")
    return names


class MailOutbox:
    def __init__(
        self,
        database: Transactions[Repository],
        clock: Clock,
        settings: Settings,
        links: LinkService,
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings
        self.links = links

    async def claim_due_mails(self, owner: str, lease_ms: int, limit: int) -> list[DueMail]:
        now = self.clock.now_ms()
        async with self.database.read() as repo:
            candidates = await repo.due_mails(now, limit)
        if not candidates:
            return []
        claimed = []
        async with self.database.write() as repo:
            for mail_id in candidates:
                due = await repo.claim_mail(mail_id, owner, now, now + lease_ms)
                if due is not None:
                    claimed.append(due)
        return claimed

    async def mail_view(self, due: DueMail) -> MailView | None:
        """What the mail says; None when its confirmation is no longer pending."""
        confirmation = due.confirmation
        if not confirmation.pending(self.clock.now_ms()):
            return None
        token = await self.links.confirmation_token(confirmation.public_id)
        async with self.database.read() as repo:
            portal = await repo.get_portal(confirmation.portal_id)
            branding = await repo.branding(confirmation.portal_id, confirmation.business_unit_id)
        if portal is None or branding is None:
            return None
        return MailView(
            subscriber=confirmation.subscriber,
            business_unit_id=confirmation.business_unit_id,
            language=confirmation.language,
            brand=brand_of(portal, branding),
            types=await type_names(self.database, confirmation),
            link=confirmation_url(self.settings, token),
            expires=iso_ms(confirmation.expires_at),
        )

    async def mail_sent(self, due: DueMail, owner: str, message_id: str) -> None:
        now = self.clock.now_ms()
        values = {
            "sent_at": now,
            "message_id": message_id[:255],
            "attempts": due.mail.attempts + 1,
            "last_attempt_at": now,
            "last_error": None,
            "next_attempt_at": None,
        }
        async with self.database.write() as repo:
            await repo.record_mail(due.mail.id, owner, values)

    async def mail_failed(self, due: DueMail, owner: str, error: str) -> int:
        """Schedule the next attempt with exponential backoff; when it is (epoch ms)."""
        attempts = due.mail.attempts + 1
        now = self.clock.now_ms()
        settings = self.settings
        later = now + backoff_ms(
            attempts, settings.mail_backoff_base_seconds, settings.mail_backoff_max_seconds
        )
        values = {
            "attempts": attempts,
            "last_attempt_at": now,
            "last_error": error[:MAX_MAIL_ERROR],
            "next_attempt_at": later,
        }
        async with self.database.write() as repo:
            await repo.record_mail(due.mail.id, owner, values)
        return later

    async def mail_dropped(self, due: DueMail, owner: str, reason: str) -> None:
        """Nothing more to try: the confirmation expired, was confirmed, or its portal left."""
        async with self.database.write() as repo:
            await repo.record_mail(
                due.mail.id, owner, {"next_attempt_at": None, "last_error": reason}
            )

    async def release(self, owner: str) -> None:
        async with self.database.write() as repo:
            await repo.release_mails(owner)
