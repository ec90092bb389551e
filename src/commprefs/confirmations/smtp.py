"""Sending one mail over SMTP: stdlib smtplib, in a thread so the event loop never waits on it.

``COMMPREFS_SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (port 25 by default; STARTTLS
whenever the server offers it, and then only over a verified connection) or
``smtps://[user:password@]host[:port]`` (TLS from the first byte, port 465 by default). The
password never appears in an error message or a log line: errors name the host and port only.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit


class MailError(Exception):
    """A mail could not be handed to the SMTP server (it is tried again later)."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "",
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"


class SmtpSender:
    def __init__(self, target: SmtpTarget, timeout: float) -> None:
        self.target = target
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server; MailError saying why not."""
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        target = self.target
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if target.implicit_tls:
                client = smtplib.SMTP_SSL(
                    target.host, target.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if not target.implicit_tls and client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                if target.user is not None:
                    client.login(target.user, target.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            reason = str(error) or type(error).__name__
            raise MailError(f"{target}: {type(error).__name__}: {reason}"[:500]) from None
