"""Reading a seed document (YAML or JSON, every fault named by a JSON pointer) and applying it
through the services, in one transaction given by the caller, so that its statuses and opt-outs
obey the same rules as the API's and leave ledger entries that say who acted (api ``seed``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from commprefs.auth.service import TokenService
from commprefs.domain.clock import Clock
from commprefs.domain.errors import CommprefsError, ErrorDetail, InvalidInput
from commprefs.domain.preferences import Actor, Channel, State, StatusChange
from commprefs.emulator.schemas import SeedDocument
from commprefs.portals.service import PortalService
from commprefs.preferences.service import PreferencesService
from commprefs.store.interface import Repository, Transactions

SEED_API = "seed"
DEFAULT_PORTAL_ID = 1
T = TypeVar("T")
E = TypeVar("E")


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to a part of the document."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def read_seed(text: str | bytes) -> SeedDocument:
    """The document in ``text`` (JSON, or YAML, of which JSON is a part)."""
    if not text.strip():
        raise InvalidInput.field("", "A seed document is required.", "MISSING_FIELD")
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        message = f"The seed is not YAML or JSON{where}."
        raise InvalidInput.field("", message, "INVALID_JSON") from None
    return parse_seed(loaded)


def load_seed_file(path: str) -> SeedDocument:
    """The document in a file (``serve --seed``); OSError when it cannot be read."""
    with open(path, "rb") as file:
        return read_seed(file.read())


def parse_seed(loaded: Any) -> SeedDocument:
    """The document from parsed JSON; InvalidInput naming each wrong field by its pointer."""
    try:
        # Strict: the types as the schema says them ("1" is no number, 1 no boolean), so that
        # what the schema refuses the emulator refuses too.
        return SeedDocument.model_validate_json(_as_json(loaded), strict=True)
    except ValidationError as error:
        details = [
            ErrorDetail(
                message=f"{pointer(*item['loc']) or '/'}: {item['msg']}",
                in_=pointer(*item["loc"]),
                code="MISSING_FIELD" if item["type"] == "missing" else "INVALID_VALUE",
            )
            for item in error.errors(include_url=False)[:20]
        ]
        raise InvalidInput(
            "Invalid seed: " + ", ".join(d.in_ or "/" for d in details), details
        ) from None


def _as_json(value: Any) -> str:
    """YAML's own types (dates, sets) as JSON has them, so one schema covers both forms."""
    return json.dumps(value, default=str)


async def apply_seed(
    transaction: Transactions[Repository], clock: Clock, document: SeedDocument
) -> None:
    """Create what the document describes, in its order, through the services bound to
    ``transaction`` (one transaction: the caller's). A fault raises InvalidInput whose
    ``errors[].in`` points at the entry at fault."""
    portals = PortalService(transaction, clock)
    tokens = TokenService(transaction, clock)
    batch = max(1, len(document.statuses), len(document.opt_outs))
    preferences = PreferencesService(transaction, clock, max_batch_inputs=batch)
    seeded = document.portals or []
    # The first portal (where entries without portalId go, and known tokens): the lowest id.
    first = min(p.id for p in seeded) if seeded else DEFAULT_PORTAL_ID
    actor_id = f"seed-{uuid.uuid4()}"

    def actor(portal_id: int | None) -> Actor:
        return Actor(portal_id or first, None, actor_id, SEED_API)

    if not seeded:
        await portals.create_portal("Default", False, DEFAULT_PORTAL_ID)
    for index, portal in enumerate(seeded):
        await _at(("portals", index), portals.create_portal(portal.name, portal.gdpr, portal.id))
    for index, unit in enumerate(document.business_units):
        where = ("businessUnits", index)
        portal_id = unit.portal_id or first
        if unit.id != 0:
            await _at(where, portals.create_business_unit(portal_id, unit.name, unit.id))
        if unit.branding is not None:
            brand = unit.branding
            await _at(
                (*where, "branding"),
                portals.set_branding(portal_id, unit.id, brand.name, brand.colour, brand.logo_url),
            )
    for index, definition in enumerate(document.subscription_definitions):
        where = ("subscriptionDefinitions", index)
        made = await _at(
            where,
            portals.create_definition(
                definition.portal_id or first,
                definition.name,
                definition.description,
                business_unit_id=definition.business_unit_id,
                purpose=definition.purpose,
                communication_method=definition.communication_method,
                is_internal=definition.is_internal,
                is_default=definition.is_default,
                is_active=definition.is_active,
                definition_id=definition.id,
                created_at=definition.created_at,
                updated_at=definition.updated_at,
            ),
        )
        for number, translation in enumerate(definition.translations):
            # Written when created, then again when updated, so that both times are kept.
            times = [translation.created_at]
            if translation.updated_at not in times:
                times.append(translation.updated_at)
            for at in times:
                await _at(
                    (*where, "translations", number),
                    portals.translate_definition(
                        made.portal_id,
                        made.id,
                        translation.language_code,
                        translation.name,
                        translation.description,
                        at,
                    ),
                )
    for index, token in enumerate(document.tokens):
        await _at(
            ("tokens", index),
            tokens.create(
                token.portal_id or first, token.scopes, token.name or "seeded token", token.value
            ),
        )
    # Statuses and opt-outs in runs (consecutive entries of one portal; for opt-outs, of one
    # scope and source too), each run one call of the service, as a batch of the API is.
    for start, run in _runs(document.statuses, lambda s: s.portal_id or first):
        changes = [
            StatusChange(
                subscriber=status.email,
                subscription_id=status.subscription_id,
                state=State(status.status),
                legal_basis=status.legal_basis.value if status.legal_basis else None,
                legal_basis_explanation=status.legal_basis_explanation,
                source=status.source,
                occurred_at=status.timestamp,
            )
            for status in run
        ]
        outcome = await preferences.update_statuses(actor(run[0].portal_id), changes)
        for index, error in outcome.errors[:1]:
            _raise_first(("statuses", start + index), [error])
    for start, opt_outs in _runs(
        document.opt_outs, lambda o: (o.portal_id or first, o.business_unit_id, o.source)
    ):
        outcome = await _at(
            ("optOuts", start),
            preferences.unsubscribe_all_many(
                actor(opt_outs[0].portal_id),
                [opt_out.email for opt_out in opt_outs],
                Channel.EMAIL,
                opt_outs[0].business_unit_id,
                opt_outs[0].source,
                occurred_at=[opt_out.timestamp for opt_out in opt_outs],
            ),
        )
        for index, error in outcome.errors[:1]:
            _raise_first(("optOuts", start + index), [error])


def _runs(entries: Sequence[E], key: Callable[[E], object]) -> Iterator[tuple[int, list[E]]]:
    """Consecutive entries of one key, each run with the position of its first entry."""
    start = 0
    while start < len(entries):
        end = start + 1
        while end < len(entries) and key(entries[end]) == key(entries[start]):
            end += 1
        yield start, list(entries[start:end])
        start = end


async def _at(where: tuple[str | int, ...], step: Awaitable[T]) -> T:
    try:
        return await step
    except CommprefsError as error:
        _raise_first(where, [error])
        raise  # pragma: no cover - _raise_first always raises for one error


def _raise_first(where: tuple[str | int, ...], errors: Sequence[CommprefsError]) -> None:
    """The first service error of an entry, as a 400 pointing into the document."""
    if not errors:
        return
    error = errors[0]
    fields: list[str | None] = [detail.in_ for detail in error.details if detail.in_] or [None]
    details = [
        ErrorDetail(
            message=f"{pointer(*where, *([_FIELDS.get(f, f)] if f else []))}: {error.message}",
            in_=pointer(*where, *([_FIELDS.get(f, f)] if f else [])),
            code="INVALID_VALUE",
        )
        for f in fields
    ]
    raise InvalidInput(
        "Invalid seed: " + ", ".join(d.in_ or "/" for d in details), details
    ) from error


# The services name wire fields of the API; the document names some of them otherwise.
_FIELDS: dict[str, str] = {
    "subscriberIdString": "email",
    "statusState": "status",
    "language": "languageCode",
}
