"""The served /openapi.json describes every HubSpot operation with HubSpot's names and shapes, so
that generated clients and fuzzers see the same API as HubSpot's own documents describe."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.support.admin_operations import ADMIN_OPERATIONS, INSTANCE_OPERATIONS, concrete
from tests.support.contracts import V3_STYLE_PATHS, served_paths, spec

VERSIONS = ["v4", "2026-03", "2026-09", "2025-09", "v3"]


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    if not schema:
        return None
    ref = schema.get("$ref")
    return str(ref).rsplit("/", 1)[1] if ref else None


def _json_schema(part: dict[str, Any]) -> dict[str, Any] | None:
    content = part.get("content", {})
    media = content.get("application/json") or next(iter(content.values()), None)
    return media.get("schema") if media else None


@pytest.fixture(scope="module")
def served(server: object) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{server.url}/openapi.json").json()  # type: ignore[attr-defined]
    return document


@pytest.mark.parametrize("version", VERSIONS)
def test_every_hubspot_operation_is_served_with_hubspots_names(
    served: dict[str, Any], version: str
) -> None:
    problems = []
    for path, operations in served_paths(version).items():
        for method, operation in operations.items():
            ours = served["paths"].get(path, {}).get(method)
            where = f"{method.upper()} {path}"
            if ours is None:
                problems.append(f"{where}: not served")
                continue
            their_params = {
                (p["name"], p["in"], bool(p.get("required")))
                for p in operation.get("parameters", [])
            }
            our_params = {
                (p["name"], p["in"], bool(p.get("required"))) for p in ours.get("parameters", [])
            }
            if their_params != our_params:
                problems.append(f"{where}: parameters {our_params} != {their_params}")
            for status in operation["responses"]:
                if status == "default":
                    continue
                want = _ref_name(_json_schema(operation["responses"][status]))
                got = _ref_name(_json_schema(ours["responses"].get(status, {})))
                if want != got:
                    problems.append(f"{where} {status}: {got} != {want}")
            if "requestBody" in operation:
                want = _ref_name(_json_schema(operation["requestBody"]))
                got = _ref_name(_json_schema(ours.get("requestBody", {})))
                if want != got:
                    problems.append(f"{where} body: {got} != {want}")
            if "default" not in ours["responses"]:
                problems.append(f"{where}: no default (error) response")
    assert problems == []


@pytest.mark.parametrize("version", ["2026-09", "2025-09"])
def test_the_date_versions_serve_the_ten_v4_operations_and_no_v3_style_path(
    served: dict[str, Any], version: str
) -> None:
    prefix = f"/communication-preferences/{version}"
    ours = {p.removeprefix(prefix) for p in served["paths"] if p.startswith(prefix + "/")}
    assert ours == {p.removeprefix("/communication-preferences/v4") for p in served_paths("v4")}
    assert len(served_paths(version)) == len(spec(version)["paths"]) - len(V3_STYLE_PATHS)
    # With HubSpot's operation ids, which generated clients name their methods after.
    assert [
        (path, method)
        for path, operations in served_paths(version).items()
        for method, operation in operations.items()
        if served["paths"][path][method]["operationId"] != operation["operationId"]
    ] == []
    # The batch reads declare no 207 there: partial failures are a 200 (api/v4/batch.py).
    for read in ("/statuses/batch/read", "/statuses/batch/unsubscribe-all/read"):
        assert set(served["paths"][prefix + read]["post"]["responses"]) == {"200", "default"}


def test_the_error_schema_is_hubspots(served: dict[str, Any]) -> None:
    ours = served["components"]["schemas"]["Error"]
    theirs = spec("v4")["components"]["schemas"]["Error"]
    assert set(theirs["required"]) <= set(ours["required"])
    assert set(theirs["properties"]) <= set(ours["properties"])


def test_every_operation_declares_the_bearer_token_it_requires(served: dict[str, Any]) -> None:
    # Generated clients send the token only where the document says an operation needs one;
    # every operation does (test_authorization_matrix.py checks the server agrees) except
    # HubSpot's OAuth token API, whose credentials are the request's own fields.
    scheme = served["components"]["securitySchemes"]["HTTPBearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    missing = [
        f"{method.upper()} {path}"
        for path, operations in served["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") != [{"HTTPBearer": []}]
    ]
    assert missing == [
        "POST /oauth/v1/token",
        "GET /oauth/v1/access-tokens/{token}",
        "GET /oauth/v1/refresh-tokens/{token}",
        "DELETE /oauth/v1/refresh-tokens/{token}",
    ]
    assert len(served["paths"]) >= 20


def test_every_admin_operation_is_documented(served: dict[str, Any]) -> None:
    # The admin API (issue 17): each operation of the authorization matrix is in the document,
    # with HubSpot's error body as its default answer.
    templates = [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), operations)
        for path, operations in served["paths"].items()
    ]
    missing = []
    for op in [*ADMIN_OPERATIONS, *INSTANCE_OPERATIONS]:
        path = concrete(op)
        documented = [
            operations.get(op.method.lower())
            for pattern, operations in templates
            if pattern.match(path)
        ]
        if not any(found and "default" in found["responses"] for found in documented):
            missing.append(f"{op.method} {op.path}")
    assert missing == []
