"""The admin API end to end over HTTP, on SQLite and PostgreSQL: an instance token (made by the
CLI) creates a portal; that portal's first admin token administers it; what it changes is what
the HubSpot APIs then serve, and each change leaves an audit record naming the token."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import httpx
import pytest

from tests.support.cli import json_of
from tests.support.factories import email
from tests.support.server import Server

A = "/commprefs/v1"
V4 = "/communication-preferences/v4"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def instance_token(server: Server) -> str:
    made = json_of("tokens", "create", "--instance", "--database", server.database_url)
    assert made["portalId"] is None
    assert made["scopes"] == ["commprefs.instance"]
    return str(made["token"])


@pytest.fixture(scope="module")
def admin(server: Server, instance_token: str) -> dict[str, Any]:
    """A portal made over HTTP, with its first admin token."""
    with httpx.Client(base_url=server.url) as http:
        made = http.post(
            f"{A}/portals", json={"name": "Admin API portal"}, headers=_bearer(instance_token)
        )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    assert body["token"]["scopes"] == ["commprefs.admin"]
    return body


def _h(admin: dict[str, Any]) -> dict[str, str]:
    return _bearer(admin["token"]["token"])


def test_the_instance_token_creates_portals_and_nothing_else(
    http: httpx.Client, instance_token: str, admin: dict[str, Any]
) -> None:
    listed = http.get(f"{A}/portals", headers=_bearer(instance_token)).json()
    assert admin["portal"] in listed["results"]
    refused = http.get(f"{V4}/definitions", headers=_bearer(instance_token))
    assert refused.status_code == 403
    assert refused.json()["category"] == "MISSING_SCOPES"
    assert http.get(f"{A}/tokens", headers=_bearer(instance_token)).status_code == 403
    # A portal's admin token is not the instance's.
    assert http.get(f"{A}/portals", headers=_h(admin)).status_code == 403


def test_a_type_created_through_the_admin_api_is_served_by_v4(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    headers = _h(admin)
    reader = http.post(
        f"{A}/tokens",
        json={"scopes": ["communication_preferences.read"], "name": "reader"},
        headers=headers,
    ).json()
    unit = http.post(f"{A}/business-units", json={"name": "Shoes"}, headers=headers)
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["id"]
    made = http.post(
        f"{A}/definitions",
        json={"name": "Boots", "description": "New boots", "businessUnitId": unit_id},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    type_id = made.json()["id"]
    served = http.get(
        f"{V4}/definitions",
        params={"businessUnitId": unit_id, "includeTranslations": "true"},
        headers=_bearer(reader["token"]),
    ).json()
    assert [(d["id"], d["name"]) for d in served["results"]] == [(type_id, "Boots")]

    changed = http.patch(
        f"{A}/definitions/{type_id}",
        json={"name": "Winter boots", "purpose": "Marketing", "isInternal": True},
        headers=headers,
    ).json()
    assert (changed["name"], changed["purpose"], changed["isInternal"]) == (
        "Winter boots",
        "Marketing",
        True,
    )
    translated = http.put(
        f"{A}/definitions/{type_id}/translations/fr",
        json={"name": "Bottes", "description": "Bottes d'hiver"},
        headers=headers,
    )
    assert translated.status_code == 200, translated.text
    served = http.get(
        f"{V4}/definitions",
        params={"businessUnitId": unit_id, "includeTranslations": "true"},
        headers=_bearer(reader["token"]),
    ).json()["results"]
    assert served[0]["name"] == "Winter boots"
    assert [t["name"] for t in served[0]["subscriptionTranslations"]] == ["Bottes"]

    # Deactivated: v4 lists it inactive and a subscriber's statuses leave it out; reactivated:
    # back in them.
    def read_types() -> tuple[list[Any], list[int]]:
        definitions = http.get(
            f"{V4}/definitions",
            params={"businessUnitId": unit_id},
            headers=_bearer(reader["token"]),
        ).json()["results"]
        statuses = http.get(
            f"{V4}/statuses/{email()}",
            params={"channel": "EMAIL", "businessUnitId": unit_id},
            headers=_bearer(reader["token"]),
        ).json()["results"]
        return [(d["id"], d["isActive"]) for d in definitions], [
            s["subscriptionId"] for s in statuses
        ]

    http.patch(f"{A}/definitions/{type_id}", json={"isActive": False}, headers=headers)
    assert read_types() == ([(type_id, False)], [])
    http.patch(f"{A}/definitions/{type_id}", json={"isActive": True}, headers=headers)
    assert read_types() == ([(type_id, True)], [int(type_id)])

    renamed = http.patch(
        f"{A}/business-units/{unit_id}",
        json={"name": "Shoes & boots", "branding": {"colour": "#112233"}},
        headers=headers,
    ).json()
    assert renamed["name"] == "Shoes & boots"
    assert renamed["branding"]["colour"] == "#112233"


def test_bad_admin_input_is_a_4xx_in_hubspots_body_and_changes_nothing(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    headers = _h(admin)
    before = http.get(f"{A}/definitions", headers=headers).json()
    audited = len(http.get(f"{A}/audit", params={"limit": 500}, headers=headers).json()["results"])
    for method, path, body in [
        ("POST", f"{A}/definitions", {"name": ""}),
        ("POST", f"{A}/definitions", {"name": "x", "businessUnitId": 999}),
        ("POST", f"{A}/definitions", {"name": "x", "isActive": "yes"}),
        ("POST", f"{A}/definitions", {"name": "x", "description": "nul \x00"}),
        ("POST", f"{A}/definitions", {"name": "x", "unknown": 1}),
        ("PATCH", f"{A}/definitions/999999", {"name": "y"}),
        ("PUT", f"{A}/definitions/999999/translations/fr", {"name": "y"}),
        ("POST", f"{A}/tokens", {"scopes": ["commprefs.instance"]}),
        ("POST", f"{A}/webhooks", {"url": "ftp://example.com"}),
        ("DELETE", f"{A}/tokens/999999", None),
        ("PATCH", f"{A}/business-units/999", {"name": "z"}),
    ]:
        answer = http.request(method, path, json=body, headers=headers)
        assert 400 <= answer.status_code < 500, (method, path, answer.text)
        error = answer.json()
        assert error["status"] == "error"
        assert error["correlationId"]
    assert http.get(f"{A}/definitions", headers=headers).json() == before
    after = http.get(f"{A}/audit", params={"limit": 500}, headers=headers).json()["results"]
    assert len(after) == audited  # a refused change leaves no record either
    # A name taken in the unit is a 409 on create and on rename.
    first = http.post(f"{A}/definitions", json={"name": "Taken"}, headers=headers).json()
    other = http.post(f"{A}/definitions", json={"name": "Free"}, headers=headers).json()
    again = http.post(f"{A}/definitions", json={"name": "Taken"}, headers=headers)
    assert again.status_code == 409
    rename = http.patch(f"{A}/definitions/{other['id']}", json={"name": "Taken"}, headers=headers)
    assert rename.status_code == 409
    assert first["id"] != other["id"]


def test_a_revoked_token_is_refused_and_a_token_cannot_revoke_itself(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    headers = _h(admin)
    made = http.post(
        f"{A}/tokens", json={"scopes": ["communication_preferences.read"]}, headers=headers
    )
    assert made.status_code == 201
    token = made.json()
    assert http.get(f"{V4}/definitions", headers=_bearer(token["token"])).status_code == 200
    listed = http.get(f"{A}/tokens", headers=headers).text
    assert token["token"] not in listed
    revoked = http.delete(f"{A}/tokens/{token['id']}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True
    assert http.get(f"{V4}/definitions", headers=_bearer(token["token"])).status_code == 401
    myself = http.delete(f"{A}/tokens/{admin['token']['id']}", headers=headers)
    assert myself.status_code == 409
    assert http.get(f"{A}/tokens", headers=headers).status_code == 200


def test_webhooks_are_added_listed_with_deliveries_and_removed(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    headers = _h(admin)
    added = http.post(
        f"{A}/webhooks", json={"url": "http://user:pw@127.0.0.1:9/hook"}, headers=headers
    )
    assert added.status_code == 201, added.text
    webhook = added.json()
    assert webhook["secret"].startswith("whsec_")
    assert webhook["url"] == "http://user:***@127.0.0.1:9/hook"
    listed = http.get(f"{A}/webhooks", headers=headers)
    assert webhook["secret"] not in listed.text
    assert [w["id"] for w in listed.json()["results"]] == [webhook["id"]]
    # Changes after it was added: their events wait for the endpoint (each opt-out of all writes
    # one entry per type of the portal and one for the opt-out).
    writer = http.post(
        f"{A}/tokens", json={"scopes": ["communication_preferences.write"]}, headers=headers
    ).json()
    for _ in range(2):
        http.post(
            f"{V4}/statuses/{email()}/unsubscribe-all",
            params={"channel": "EMAIL"},
            headers=_bearer(writer["token"]),
        )
    deliveries = http.get(f"{A}/webhooks/{webhook['id']}/deliveries", headers=headers).json()
    replayed = http.post(f"{A}/webhook-replays", json={"since": "2000-01-01"}, headers=headers)
    assert replayed.status_code == 200, replayed.text
    bad_time = http.post(f"{A}/webhook-replays", json={"since": "yesterday"}, headers=headers)
    assert bad_time.status_code == 400
    assert bad_time.json()["errors"][0]["in"] == "since"
    pending = http.get(f"{A}/webhooks", headers=headers).json()["results"][0]["pendingEvents"]
    sequences = [d["sequence"] for d in deliveries["results"]]
    assert pending >= 2
    assert {d["status"] for d in deliveries["results"]} == {"PENDING"}
    assert sequences == list(range(sequences[0], sequences[0] - min(pending, 40), -1))
    assert http.delete(f"{A}/webhooks/{webhook['id']}", headers=headers).status_code == 204
    assert http.get(f"{A}/webhooks", headers=headers).json()["results"] == []
    gone = http.get(f"{A}/webhooks/{webhook['id']}/deliveries", headers=headers)
    assert gone.status_code == 404


def test_link_keys_rotate_with_the_instance_token(
    http: httpx.Client, instance_token: str, admin: dict[str, Any]
) -> None:
    before = http.get(f"{A}/link-keys", headers=_bearer(instance_token)).json()["results"]
    rotated = http.post(f"{A}/link-keys/rotate", headers=_bearer(instance_token))
    assert rotated.status_code == 200
    keys = rotated.json()["results"]
    signing = [k["kid"] for k in keys if k["signing"]]
    assert len(signing) == 1
    assert signing[0] not in [k["kid"] for k in before]
    assert http.post(f"{A}/link-keys/rotate", headers=_h(admin)).status_code == 403
    audit = http.get(f"{A}/instance-audit", headers=_bearer(instance_token)).json()["results"]
    assert {"portal.create", "link_key.rotate"} <= {r["action"] for r in audit}
    assert http.get(f"{A}/instance-audit", headers=_h(admin)).status_code == 403


def _wait_for(http: httpx.Client, path: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        job: dict[str, Any] = http.get(path, headers=headers).json()
        if job["state"] != "RUNNING" or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_an_uploaded_import_completes_and_its_rejects_download(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    headers = _h(admin)
    type_id = http.post(f"{A}/definitions", json={"name": "Imported"}, headers=headers).json()["id"]
    good = [email() for _ in range(3)]
    lines = ["email,subscriptionId,status"]
    lines += [f"{address},{type_id},SUBSCRIBED" for address in good]
    lines += ["not-an-address,1,SUBSCRIBED", f"{email()},{type_id},MAYBE"]
    upload = http.post(
        f"{A}/imports",
        files={"file": ("statuses.csv", "\n".join(lines) + "\n", "text/csv")},
        headers=headers,
    )
    assert upload.status_code == 202, upload.text
    job = _wait_for(http, f"{A}/imports/{upload.json()['id']}", headers)
    assert (job["state"], job["rows"], job["imported"], job["rejected"]) == ("COMPLETE", 5, 3, 2)
    rejects = http.get(f"{A}/imports/{job['id']}/rejects", headers=headers)
    assert rejects.status_code == 200
    assert rejects.headers["content-type"].startswith("text/csv")
    rows = rejects.text.splitlines()
    assert rows[0] == "email,subscriptionId,status,_line,_field,_error"
    # As `commprefs import` lists them: rows refused as read first, then those its batches refused.
    assert sorted(row.split(",")[3] for row in rows[1:]) == ["5", "6"]
    # The ledger names the token that imported.
    history = http.get(
        f"{A}/subscribers/{good[0]}/history",
        params={"channel": "EMAIL"},
        headers=_bearer(
            http.post(
                f"{A}/tokens", json={"scopes": ["communication_preferences.read"]}, headers=headers
            ).json()["token"]
        ),
    ).json()["results"]
    assert [(e["api"], e["tokenId"]) for e in history] == [("import", admin["token"]["id"])]
    assert history[0]["context"]["fileName"] == "statuses.csv"  # as the CLI's imports
    # The export streams what was imported.
    exported = http.get(f"{A}/exports/statuses", headers=headers)
    assert exported.status_code == 200
    rows_of_type = [
        row["email"]
        for row in csv.DictReader(io.StringIO(exported.text))
        if row["subscriptionId"] == type_id
    ]
    assert sorted(rows_of_type) == sorted(good)
    assert http.get(f"{A}/imports", headers=headers).json()["results"][0]["id"] == job["id"]


def test_an_import_may_be_larger_than_other_bodies(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    # 30 rows with a 60 kB column the import ignores (it starts with "_"): 1.8 MB, over the 1 MiB
    # of every other body and under COMMPREFS_MAX_IMPORT_BYTES.
    headers = _h(admin)
    type_id = http.post(f"{A}/definitions", json={"name": "Large"}, headers=headers).json()["id"]
    note = "n" * 60_000
    lines = ["email,subscriptionId,status,_note"]
    lines += [f"{email()},{type_id},SUBSCRIBED,{note}" for _ in range(30)]
    body = "\n".join(lines) + "\n"
    assert len(body) > 1_048_576
    upload = http.post(f"{A}/imports", files={"file": ("big.csv", body)}, headers=headers)
    assert upload.status_code == 202, upload.text
    job = _wait_for(http, f"{A}/imports/{upload.json()['id']}", headers)
    assert (job["state"], job["imported"], job["rejected"]) == ("COMPLETE", 30, 0)
    elsewhere = http.post(f"{A}/business-units", content=body.encode(), headers=headers)
    assert elsewhere.status_code == 413


def test_a_header_the_import_does_not_know_fails_the_job(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    headers = _h(admin)
    upload = http.post(
        f"{A}/imports",
        files={"file": ("x.ndjson", '{"email": "a@example.com", "colour": "red"}\n')},
        data={"format": "csv"},
        headers=headers,
    )
    assert upload.status_code == 202
    job = _wait_for(http, f"{A}/imports/{upload.json()['id']}", headers)
    assert job["state"] == "FAILED"
    assert job["error"]


def test_the_ledger_verifies_over_http(http: httpx.Client, admin: dict[str, Any]) -> None:
    report = http.get(f"{A}/ledger/verify", headers=_h(admin)).json()
    assert report["portalId"] == admin["portal"]["id"]
    assert report["intact"] is True
    assert report["entries"] == report["headSequence"] > 0


def test_exports_refuse_what_the_service_refuses_before_streaming(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    both = http.get(
        f"{A}/exports/suppression",
        params={"subscriptionId": 1, "businessUnitId": 0},
        headers=_h(admin),
    )
    assert both.status_code == 400
    assert both.json()["category"] == "VALIDATION_ERROR"


def test_every_change_left_an_audit_record_naming_its_token(
    http: httpx.Client, admin: dict[str, Any]
) -> None:
    records = http.get(f"{A}/audit", headers=_h(admin), params={"limit": 500}).json()["results"]
    actions = {r["action"] for r in records}
    assert {
        "token.create",
        "business_unit.create",
        "business_unit.update",
        "definition.create",
        "definition.update",
        "definition.translate",
        "token.revoke",
        "webhook.add",
        "webhook.remove",
        "webhook.replay",
        "import.start",
    } <= actions
    # The first record is the portal's first token, made by the instance token; the rest by the
    # portal's own admin token.
    assert {r["tokenId"] for r in records[1:]} == {admin["token"]["id"]}
    assert all(
        "whsec_" not in str(r["detail"]) and "cpat-" not in str(r["detail"]) for r in records
    )
