"""The web console from tests: users made through the service, and a browser-like HTTP client
that logs in and posts the console's forms with their CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

import httpx

from commprefs.domain.operators import ConsoleUser
from commprefs.domain.preferences import Portal
from tests.support.factories import Factory, email

PASSWORD = "a long test password"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def console_user(factory: Factory, portal: Portal, role: str = "admin") -> ConsoleUser:
    return factory.run(
        factory.services.operators.create_user(portal.id, email(f"op-{role}"), role, PASSWORD)
    )


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


class Console:
    """One browser's session of the console."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30.0)

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def log_in(self, user: ConsoleUser, password: str = PASSWORD) -> httpx.Response:
        form = self.http.get("/console/login")
        return self.http.post(
            "/console/login",
            data={"csrf": csrf_of(form), "email": user.email, "password": password},
        )

    def csrf(self) -> str:
        return csrf_of(self.http.get("/console/"))

    def post(self, path: str, data: dict[str, Any], **headers: str) -> httpx.Response:
        return self.http.post(path, data={"csrf": self.csrf(), **data}, headers=headers)
