"""AdminService: every administrative change of the admin API (and of the console), made through
the same services the CLI calls, each in one transaction with an audit record (admin_audit)
saying who acted. Reads go straight to those services.

Each change opens a write transaction, binds the portal, token, webhook and link services to it
(``_Bound``) and writes the audit record last, in the same transaction: the change and the record
of it commit together or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from commprefs.auth.service import TokenService
from commprefs.config import Settings
from commprefs.domain.admin import AdminActor, AuditRecord
from commprefs.domain.branding import Branding
from commprefs.domain.clock import Clock, iso_ms
from commprefs.domain.errors import Conflict
from commprefs.domain.faults import missing_portal
from commprefs.domain.links import KeyInfo
from commprefs.domain.preferences import Definition, Portal, Translation
from commprefs.domain.tokens import ADMIN_SCOPE, TokenRecord
from commprefs.domain.urls import redacted_url
from commprefs.domain.webhooks import Rewind, Webhook
from commprefs.links.service import LinkService
from commprefs.portals.service import DefinitionChanges, PortalService
from commprefs.store.interface import Transactions
from commprefs.store.repository import SqlRepository
from commprefs.store.transactions import OpenTransaction
from commprefs.webhooks.service import WebhookService

MAX_AUDIT_PAGE = 500


class _Bound:
    """The services of one change, in its transaction, and the audit records it will leave."""

    def __init__(self, repo: SqlRepository, clock: Clock, settings: Settings) -> None:
        transaction = OpenTransaction(repo)
        self.portals = PortalService(transaction, clock)
        self.tokens = TokenService(transaction, clock)
        self.links = LinkService(transaction, clock, settings)
        self.webhooks = WebhookService(transaction, clock)
        self.notes: list[tuple[int | None, str, str, dict[str, Any]]] = []

    def note(self, portal_id: int | None, action: str, target: str, detail: dict[str, Any]) -> None:
        self.notes.append((portal_id, action, target, detail))


class AdminService:
    def __init__(
        self, database: Transactions[SqlRepository], clock: Clock, settings: Settings
    ) -> None:
        self.database = database
        self.clock = clock
        self.settings = settings

    @asynccontextmanager
    async def _change(self, actor: AdminActor) -> AsyncIterator[_Bound]:
        async with self.database.write() as repo:
            bound = _Bound(repo, self.clock, self.settings)
            yield bound
            now = self.clock.now_ms()
            for portal_id, action, target, detail in bound.notes:
                who = AdminActor(portal_id, actor.token_id, actor.request_id, actor.user_id)
                await repo.append_audit(who, action, target, detail, now)

    # -- the instance: portals and link signing keys -----------------------------------------

    async def create_portal(
        self, actor: AdminActor, name: str, gdpr: bool, token_name: str = ""
    ) -> tuple[Portal, TokenRecord, str]:
        """A portal with business unit 0, and its first token (scope commprefs.admin), whose
        secret is shown once: the new portal's administrator makes the others."""
        async with self._change(actor) as bound:
            portal = await bound.portals.create_portal(name, gdpr)
            record, secret = await bound.tokens.create(
                portal.id, [ADMIN_SCOPE], token_name or "first admin token"
            )
            bound.note(None, "portal.create", f"portal {portal.id}", {"name": name, "gdpr": gdpr})
            bound.note(portal.id, "token.create", f"token {record.id}", {"scopes": [ADMIN_SCOPE]})
        return portal, record, secret

    async def rotate_link_key(self, actor: AdminActor) -> list[KeyInfo]:
        async with self._change(actor) as bound:
            keys = await bound.links.rotate_key()
            signer = next((k.kid for k in keys if k.signing), "")
            bound.note(None, "link_key.rotate", f"key {signer}", {})
        return keys

    # -- a portal's business units and subscription types ------------------------------------

    async def create_business_unit(self, actor: AdminActor, name: str) -> Branding:
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            unit = await bound.portals.create_business_unit(portal_id, name)
            bound.note(
                portal_id, "business_unit.create", f"business unit {unit.id}", {"name": name}
            )
            branding = await bound.portals.set_branding(portal_id, unit.id)
        return branding

    async def update_business_unit(
        self,
        actor: AdminActor,
        unit_id: int,
        name: str | None,
        branding: dict[str, str | None],
    ) -> Branding:
        """Rename the unit and/or set its branding (``name``, ``colour``, ``logoUrl``; an empty
        value restores the default, an absent one is left alone)."""
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            if name is not None:
                await bound.portals.rename_business_unit(portal_id, unit_id, name)
            found = await bound.portals.set_branding(
                portal_id,
                unit_id,
                branding.get("name"),
                branding.get("colour"),
                branding.get("logoUrl"),
            )
            detail = {"name": name, **branding} if name is not None else dict(branding)
            bound.note(portal_id, "business_unit.update", f"business unit {unit_id}", detail)
        return found

    async def create_definition(
        self, actor: AdminActor, business_unit_id: int, changes: DefinitionChanges
    ) -> Definition:
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            definition = await bound.portals.create_definition(
                portal_id,
                changes.name or "",
                changes.description or "",
                business_unit_id,
                changes.purpose or "",
                "Email" if changes.communication_method is None else changes.communication_method,
                is_internal=bool(changes.is_internal),
                is_default=bool(changes.is_default),
                is_active=changes.is_active is not False,
            )
            bound.note(
                portal_id,
                "definition.create",
                f"subscription type {definition.id}",
                _changes_detail(changes),
            )
        return definition

    async def update_definition(
        self, actor: AdminActor, definition_id: int, changes: DefinitionChanges
    ) -> Definition:
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            definition = await bound.portals.update_definition(portal_id, definition_id, changes)
            bound.note(
                portal_id,
                "definition.update",
                f"subscription type {definition_id}",
                _changes_detail(changes),
            )
        return definition

    async def translate_definition(
        self, actor: AdminActor, definition_id: int, language: str, name: str, description: str
    ) -> Translation:
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            made = await bound.portals.translate_definition(
                portal_id, definition_id, language, name, description
            )
            bound.note(
                portal_id,
                "definition.translate",
                f"subscription type {definition_id}",
                {"language": made.language_code, "name": name, "description": description},
            )
        return made

    # -- tokens --------------------------------------------------------------------------------

    async def create_token(
        self, actor: AdminActor, scopes: list[str], name: str
    ) -> tuple[TokenRecord, str]:
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            record, secret = await bound.tokens.create(portal_id, scopes, name)
            bound.note(
                portal_id,
                "token.create",
                f"token {record.id}",
                {"name": record.name, "scopes": sorted(record.scopes)},
            )
        return record, secret

    async def revoke_token(self, actor: AdminActor, token_id: int) -> TokenRecord:
        """Revoke one of the portal's tokens; never the one that asks (it would lock its
        holder out of the call's own answer: use another admin token, or the CLI)."""
        portal_id = _portal(actor)
        if token_id == actor.token_id:
            raise Conflict("A token cannot revoke itself: revoke it with another admin token.")
        async with self._change(actor) as bound:
            record = await bound.tokens.revoke(token_id, portal_id)
            bound.note(portal_id, "token.revoke", f"token {token_id}", {"name": record.name})
        return record

    # -- webhooks ------------------------------------------------------------------------------

    async def add_webhook(self, actor: AdminActor, url: str, secret: str | None) -> Webhook:
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            webhook = await bound.webhooks.add(portal_id, url, secret)
            bound.note(
                portal_id, "webhook.add", f"webhook {webhook.id}", {"url": redacted_url(url)}
            )
        return webhook

    async def replay_webhooks(
        self, actor: AdminActor, since: int, webhook_id: int | None
    ) -> list[Rewind]:
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            rewinds = await bound.webhooks.replay(portal_id, since, webhook_id)
            bound.note(
                portal_id,
                "webhook.replay",
                "webhooks" if webhook_id is None else f"webhook {webhook_id}",
                {"since": iso_ms(since), "events": sum(r.events for r in rewinds)},
            )
        return rewinds

    async def remove_webhook(self, actor: AdminActor, webhook_id: int) -> None:
        portal_id = _portal(actor)
        async with self._change(actor) as bound:
            await bound.webhooks.remove(webhook_id, portal_id)
            bound.note(portal_id, "webhook.remove", f"webhook {webhook_id}", {})

    # -- the audit trail -----------------------------------------------------------------------

    async def audit(self, portal_id: int | None, after: int, limit: int) -> list[AuditRecord]:
        async with self.database.read() as repo:
            return await repo.audit_records(portal_id, after, min(limit, MAX_AUDIT_PAGE))


def _portal(actor: AdminActor) -> int:
    if actor.portal_id is None:  # pragma: no cover - the routes authorise a portal's token
        raise missing_portal()
    return actor.portal_id


def _changes_detail(changes: DefinitionChanges) -> dict[str, Any]:
    return {key: value for key, value in vars(changes).items() if value is not None}
