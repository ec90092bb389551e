"""The confirmation mail: a plain-text and an HTML part from templates per business unit and
language, branded like the preference pages.

Templates are looked up, first match wins, in the operator's directory
(``COMMPREFS_MAIL_TEMPLATES``, if set) and then in the built-in ``templates/``:
``unit-<id>/<language>/confirm.<ext>``, ``unit-<id>/confirm.<ext>``, ``<language>/…``, the
language without its region (``pt`` for ``pt-br``), and ``en/…``. The text template sets the
subject (``{% set subject = … %}``); an HTML template may extend the branded ``layout.html`` and
fill its blocks (``heading``, ``intro``, ``button``, ``footnote``).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from commprefs.centre.models import Brand

BUILT_IN = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class MailView:
    """What a confirmation mail says."""

    subscriber: str
    business_unit_id: int
    language: str | None
    brand: Brand
    types: list[str]  # the types' names, translated where a translation exists
    link: str
    expires: str  # ISO-8601, UTC


class MailComposer:
    def __init__(self, mail_from: str, operator_templates: str = "") -> None:
        self.mail_from = mail_from
        loaders: list[BaseLoader] = []
        if operator_templates:
            loaders.append(FileSystemLoader(operator_templates))
        loaders.append(FileSystemLoader(BUILT_IN))
        self.environment = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def compose(self, view: MailView) -> EmailMessage:
        """The message, with a fresh Message-ID (what the ledger's proof names)."""
        values = {
            "subscriber": view.subscriber,
            "brand": view.brand,
            "types": view.types,
            "link": view.link,
            "expires": view.expires,
            "language": view.language or "en",
        }
        text = self.environment.select_template(_candidates(view, "txt"))
        html = self.environment.select_template(_candidates(view, "html"))
        subject = str(getattr(text.make_module(values), "subject", "Please confirm"))
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = view.subscriber
        message["Subject"] = " ".join(subject.split())
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.mail_from.rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text.render(values))
        message.add_alternative(html.render(values), subtype="html")
        return message


def _candidates(view: MailView, extension: str) -> list[str]:
    name = f"confirm.{extension}"
    unit = f"unit-{view.business_unit_id}"
    languages = []
    if view.language:
        languages.append(view.language)
        if "-" in view.language:
            languages.append(view.language.split("-", 1)[0])
    found = [f"{unit}/{language}/{name}" for language in languages]
    found.append(f"{unit}/{name}")
    found += [f"{language}/{name}" for language in languages]
    found.append(f"en/{name}")
    return found
