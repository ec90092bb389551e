"""Checks raw responses against HubSpot's own OpenAPI documents (copied into tests/contracts).

The SDKs' models are lenient, so a response can parse and still be wrong; these checks are not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft4Validator, FormatChecker

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"
SPECS = {
    "v4": "hubspot-communication-preferences-v4.openapi.json",
    "2026-03": "hubspot-communication-preferences-2026-03.openapi.json",
    "v3": "hubspot-communication-preferences-v3.openapi.json",
    "2026-09": "hubspot-communication-preferences-2026-09.openapi.json",
    "2025-09": "hubspot-communication-preferences-2025-09.openapi.json",
}
# Our copies of the 2025-09 and 2026-09 specs also carry four v3-style paths that HubSpot's
# current copy dropped; commprefs does not serve them (README, "Date versions").
V3_STYLE_PATHS = ("/status/email/{emailAddress}", "/subscribe", "/unsubscribe", "/resubscribe")


def served_paths(version: str) -> dict[str, Any]:
    """The paths of HubSpot's spec for ``version`` that commprefs serves."""
    paths: dict[str, Any] = spec(version)["paths"]
    if version in ("v4", "2026-03", "v3"):
        return paths
    prefix = f"/communication-preferences/{version}"
    return {p: ops for p, ops in paths.items() if p.removeprefix(prefix) not in V3_STYLE_PATHS}


@cache
def spec(version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CONTRACTS / SPECS[version]).read_text())
    return loaded


def _operation(version: str, method: str, path: str) -> tuple[str, dict[str, Any]]:
    for template, operations in spec(version)["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path} is not an operation of HubSpot's {version} spec")


def response_schema(version: str, method: str, path: str, status: int) -> dict[str, Any]:
    _, operation = _operation(version, method, path)
    responses = operation["responses"]
    declared = responses.get(str(status)) or responses["default"]
    if "$ref" in declared:  # "#/components/responses/Error"
        declared = spec(version)["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    content = declared["content"]
    media = content.get("application/json") or next(iter(content.values()))
    return {**media["schema"], "components": spec(version)["components"]}


def validate(version: str, method: str, path: str, status: int, body: Any) -> None:
    """Raises with every violation of HubSpot's schema for this operation and status."""
    validator = Draft4Validator(
        response_schema(version, method, path, status), format_checker=FormatChecker()
    )
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]
    assert not problems, f"{method} {path} → {status} breaks HubSpot's schema: {problems}"


@dataclass
class Recorder:
    """An httpx response hook that keeps every exchange, for checking after the SDK parsed it."""

    exchanges: list[tuple[str, str, int, Any]] = field(default_factory=list)

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        body = response.json() if response.content else None
        self.exchanges.append(
            (response.request.method, response.request.url.path, response.status_code, body)
        )

    def check_all(self) -> int:
        for method, path, status, body in self.exchanges:
            version = path.split("/")[2]
            validate(version, method, path, status, body)
        return len(self.exchanges)
