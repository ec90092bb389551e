"""The confirmation mail's templates: per business unit and language, the operator's first, and
always a plain-text and an HTML part."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from commprefs.centre.models import Brand
from commprefs.confirmations.mail import MailComposer, MailView
from commprefs.confirmations.smtp import SmtpTarget


def _view(language: str | None = None, unit: int = 0) -> MailView:
    return MailView(
        subscriber="jane@example.com",
        business_unit_id=unit,
        language=language,
        brand=Brand("Shop & Co", "#aa0000", "#ffffff", "https://cdn.example/logo.png"),
        types=["News <weekly>"],
        link="https://prefs.example/preferences/confirm/k1.abc.sig",
        expires="2026-12-13T10:00:00.000Z",
    )


def _parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): str(part.get_content())
        for part in message.iter_parts()
        if isinstance(part, EmailMessage)
    }


def test_the_built_in_mail_is_branded_with_both_parts() -> None:
    message = MailComposer("news@shop.example").compose(_view())
    assert message["Subject"] == "Please confirm your subscription to Shop & Co"
    assert message["From"] == "news@shop.example"
    assert message["Message-ID"].endswith("@shop.example>")
    body = _parts(message)
    assert "News <weekly>" in body["text/plain"]
    assert "News &lt;weekly&gt;" in body["text/html"]  # escaped in HTML only
    assert "#aa0000" in body["text/html"]
    assert "https://cdn.example/logo.png" in body["text/html"]
    assert body["text/plain"].count("/preferences/confirm/k1.abc.sig") == 1


def test_language_then_its_base_then_english() -> None:
    composer = MailComposer("news@shop.example")
    assert "Bitte" in composer.compose(_view("de"))["Subject"]
    assert "Bitte" in composer.compose(_view("de-at"))["Subject"]
    assert "Please" in composer.compose(_view("fr"))["Subject"]


def test_the_operators_templates_come_first_per_business_unit(tmp_path: Path) -> None:
    unit = tmp_path / "unit-7"
    unit.mkdir()
    (unit / "confirm.txt").write_text(
        '{% set subject = "Outlet: confirm" %}Outlet {{ link }}\n', encoding="utf-8"
    )
    composer = MailComposer("news@shop.example", str(tmp_path))
    outlet = composer.compose(_view("de", unit=7))
    assert outlet["Subject"] == "Outlet: confirm"
    assert _parts(outlet)["text/plain"].startswith("Outlet https://")
    assert "Abonnement bestätigen" in _parts(outlet)["text/html"]  # not overridden: built in
    assert "Bitte" in composer.compose(_view("de", unit=1))["Subject"]  # other units: built in


def test_an_smtp_url_is_read_and_never_shows_its_password() -> None:
    target = SmtpTarget.from_url("smtps://mailer:p%40ss@mail.example")
    assert (target.host, target.port, target.implicit_tls) == ("mail.example", 465, True)
    assert (target.user, target.password) == ("mailer", "p@ss")
    assert "p@ss" not in f"{target} {target!r}"
    plain = SmtpTarget.from_url("smtp://127.0.0.1:2525")
    assert (plain.port, plain.implicit_tls, plain.user) == (2525, False, None)
