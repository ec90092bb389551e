"""The emulator (issue 15) served for real: seed, reset, state, the seed's schema and its faults,
health, and the control API's absence without ``--emulator``."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.support.emulator import BRAND, NEWSLETTER, OUTDOOR_DEALS, SEED, TOKEN, EmulatorServer
from tests.support.server import Server

V4 = "/communication-preferences/v4"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
_HISTORY = "/commprefs/v1/subscribers/jane@example.com/history"
SUBSCRIBERS = ["jane@example.com", "bob@example.com", "kim@example.com", "lee@example.com"]


@pytest.fixture(scope="module")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seed.json"
    path.write_text(json.dumps(SEED))
    return path


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory, seed_file: Path) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("logs") / "emulator.log"
    with EmulatorServer(log, "--token", TOKEN, "--seed", str(seed_file)) as running:
        yield running


@pytest.fixture
def http(emulator: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, timeout=30.0) as client:
        assert client.post("/_commprefs/seed", json=SEED).status_code == 200
        yield client


def test_the_seed_is_what_the_api_reads_with_the_ids_it_gave(http: httpx.Client) -> None:
    found = http.get(f"{V4}/definitions", params={"includeTranslations": "true"}, headers=AUTH)
    assert found.status_code == 200, found.text
    types = {r["id"]: r for r in found.json()["results"]}
    assert set(types) == {str(NEWSLETTER), str(OUTDOOR_DEALS)}
    newsletter = types[str(NEWSLETTER)]
    assert newsletter["createdAt"] == "2024-01-02T03:04:05.006Z"
    assert newsletter["updatedAt"] == "2024-02-03T04:05:06.007Z"
    assert newsletter["purpose"] == "Marketing"
    assert [t["languageCode"] for t in newsletter["subscriptionTranslations"]] == ["fr"]
    assert types[str(OUTDOOR_DEALS)]["businessUnitId"] == BRAND

    jane = http.get(f"{V4}/statuses/jane@example.com", params={"channel": "EMAIL"}, headers=AUTH)
    chosen = next(r for r in jane.json()["results"] if str(r["subscriptionId"]) == str(NEWSLETTER))
    assert chosen["status"] == "SUBSCRIBED"
    assert chosen["legalBasis"] == "CONSENT_WITH_NOTICE"
    assert chosen["source"] == "Fair"
    assert chosen["timestamp"] == "2024-05-01T10:00:00.000Z"
    bob = http.get(
        f"{V4}/statuses/bob@example.com/unsubscribe-all", params={"channel": "EMAIL"}, headers=AUTH
    )
    assert [r["wideStatusType"] for r in bob.json()["results"]] == ["PORTAL_WIDE"]


def test_seeded_statuses_leave_ledger_entries_that_say_the_seed_acted(http: httpx.Client) -> None:
    history = http.get(_HISTORY, params={"channel": "EMAIL"}, headers=AUTH)
    assert history.status_code == 200, history.text
    entries = history.json()["results"]
    assert [(e["api"], e["newStatus"], e["source"]) for e in entries] == [
        ("seed", "SUBSCRIBED", "Fair")
    ]
    assert entries[0]["occurredAt"] == "2024-05-01T10:00:00.000Z"


def test_reset_returns_to_exactly_the_seed(http: httpx.Client) -> None:
    before = http.get("/_commprefs/state").json()
    keyed = {**AUTH, "Idempotency-Key": "reset-test-key"}
    wrote = http.post(
        f"{V4}/statuses/jane@example.com/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers=keyed,
    )
    assert wrote.status_code == 200, wrote.text
    assert http.get("/_commprefs/state").json() != before

    reset = http.post("/_commprefs/reset")

    assert reset.status_code == 200, reset.text
    assert http.get("/_commprefs/state").json() == before
    history = http.get(_HISTORY, params={"channel": "EMAIL"}, headers=AUTH)
    assert [e["api"] for e in history.json()["results"]] == ["seed"]
    # The Idempotency-Key is forgotten: the same key with another request is no conflict.
    again = http.post(
        f"{V4}/statuses/kim@example.com/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers=keyed,
    )
    assert again.status_code == 200, again.text
    assert again.json()["results"] == []


def test_the_state_seeded_into_a_fresh_emulator_reproduces_every_read(
    http: httpx.Client, tmp_path: Path
) -> None:
    # Changes of every kind through the API, on top of the seed.
    changes = [
        ("kim@example.com", NEWSLETTER, "UNSUBSCRIBED", {}),
        ("lee@example.com", OUTDOOR_DEALS, "SUBSCRIBED", _BASIS),
        ("jane@example.com", OUTDOOR_DEALS, "NOT_SPECIFIED", {}),
    ]
    for subscriber, subscription, state, extra in changes:
        body = {"channel": "EMAIL", "statusState": state, "subscriptionId": subscription, **extra}
        done = http.post(f"{V4}/statuses/{subscriber}", json=body, headers=AUTH)
        assert done.status_code == 200, done.text
    brand_opt_out = http.post(
        f"{V4}/statuses/lee@example.com/unsubscribe-all",
        params={"channel": "EMAIL", "businessUnitId": BRAND},
        headers=AUTH,
    )
    assert brand_opt_out.status_code == 200, brand_opt_out.text
    original = _reads(http)
    state = http.get("/_commprefs/state").json()

    with (
        EmulatorServer(tmp_path / "fresh.log", "--token", TOKEN) as fresh,
        httpx.Client(base_url=fresh.url, timeout=30.0) as other,
    ):
        assert other.post("/_commprefs/seed", json=state).status_code == 200
        assert _reads(other) == original
        assert other.get("/_commprefs/state").json() == state


_BASIS = {"legalBasis": "LEGITIMATE_INTEREST_CLIENT", "legalBasisExplanation": "A customer"}
_MOMENTS = {"startedAt", "completedAt", "requestedAt"}


def _reads(http: httpx.Client) -> list[Any]:
    """What HubSpot's reads answer, v4 and v3, single and batch, less the call's own times."""
    email = {"channel": "EMAIL"}
    answers = [
        http.get(f"{V4}/definitions", params={"includeTranslations": "true"}, headers=AUTH),
        http.get("/communication-preferences/v3/definitions", headers=AUTH),
        http.post(
            f"{V4}/statuses/batch/read",
            params=email,
            json={"inputs": SUBSCRIBERS},
            headers=AUTH,
        ),
    ]
    for subscriber in SUBSCRIBERS:
        answers += [
            http.get(f"{V4}/statuses/{subscriber}", params=email, headers=AUTH),
            http.get(f"{V4}/statuses/{subscriber}/unsubscribe-all", params=email, headers=AUTH),
            http.get(
                f"{V4}/statuses/{subscriber}/unsubscribe-all",
                params={**email, "businessUnitId": BRAND},
                headers=AUTH,
            ),
            http.get(f"/communication-preferences/v3/status/email/{subscriber}", headers=AUTH),
        ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
    return [_without_moments(answer.json()) for answer in answers]


def _without_moments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_moments(v) for k, v in value.items() if k not in _MOMENTS}
    if isinstance(value, list):
        return [_without_moments(item) for item in value]
    return value


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda d: d["statuses"][0].pop("email"), "/statuses/0/email"),
        (lambda d: d["statuses"][0].update(subscriptionId=99), "/statuses/0/subscriptionId"),
        (lambda d: d["statuses"][0].update(legalBasis=None), "/statuses/0/legalBasis"),
        (lambda d: d["statuses"][0].update(timestamp="yesterday"), "/statuses/0/timestamp"),
        (lambda d: d["subscriptionDefinitions"][1].update(businessUnitId=8), None),
        (lambda d: d["optOuts"][0].update(email="not an address"), "/optOuts/0/email"),
        (lambda d: d["portals"][0].update(colour="red"), "/portals/0/colour"),
        (lambda d: d["tokens"].append({"value": "t", "scopes": ["nope"]}), "/tokens/0/scopes/0"),
    ],
)
def test_an_invalid_seed_is_a_400_naming_the_field_and_changes_nothing(
    http: httpx.Client, change: Any, pointer: str | None
) -> None:
    before = http.get("/_commprefs/state").json()
    document = copy.deepcopy({**SEED, "tokens": []})
    change(document)

    answer = http.post("/_commprefs/seed", json=document)

    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"
    places = [e["in"] for e in body["errors"]]
    if pointer is None:  # the unit's own check names the document's entry
        assert places[0].startswith("/subscriptionDefinitions/1"), places
    else:
        assert pointer in places, body
    assert http.get("/_commprefs/state").json() == before


def test_a_seed_may_be_yaml(http: httpx.Client) -> None:
    document = (
        "portals:\n  - id: 42\n    name: YAML\nsubscriptionDefinitions:\n  - id: 5\n    name: A\n"
    )
    answer = http.post(
        "/_commprefs/seed", content=document, headers={"Content-Type": "application/yaml"}
    )
    assert answer.status_code == 200, answer.text
    state = http.get("/_commprefs/state").json()
    assert state["portals"] == [{"id": 42, "name": "YAML", "gdpr": False}]
    assert [d["id"] for d in state["subscriptionDefinitions"]] == [5]
    assert [t["value"] for t in state["tokens"]] == [TOKEN]  # the known token stays


def test_the_seed_schema_describes_the_documents_the_emulator_takes(http: httpx.Client) -> None:
    schema = http.get("/_commprefs/seed/schema").json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(SEED)) == []
    assert list(validator.iter_errors(http.get("/_commprefs/state").json())) == []
    assert list(validator.iter_errors({"statuses": [{"email": "a@b.c"}]}))


def test_reset_is_fast_enough_to_call_before_every_test(http: httpx.Client) -> None:
    started = time.perf_counter()
    assert http.post("/_commprefs/reset").status_code == 200
    # Generous: the measured median is in the README (python -m bench.reset).
    assert time.perf_counter() - started < 5


def test_health_says_ready_and_the_log_says_so_once(emulator: Server, http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    assert http.get("/readyz").json() == {"status": "ready"}
    assert [line for line in emulator.log().splitlines() if line.endswith("ready")] == [
        "INFO:     ready"
    ]


def test_the_control_api_has_its_own_document(http: httpx.Client) -> None:
    control = http.get("/_commprefs/openapi.json").json()
    assert {"/_commprefs/seed", "/_commprefs/reset", "/_commprefs/state"} <= set(control["paths"])
    hubspot = http.get("/openapi.json").json()
    assert not [p for p in hubspot["paths"] if p.startswith("/_commprefs")]
    assert "/readyz" not in hubspot["paths"]


def test_without_emulator_the_control_api_does_not_exist(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        for method, path in [
            ("POST", "/_commprefs/reset"),
            ("POST", "/_commprefs/seed"),
            ("GET", "/_commprefs/state"),
            ("GET", "/_commprefs/seed/schema"),
            ("GET", "/_commprefs/openapi.json"),
            ("GET", "/_commprefs/requests"),
            ("DELETE", "/_commprefs/requests"),
            ("POST", "/_commprefs/faults"),
            ("DELETE", "/_commprefs/faults/1"),
            ("PUT", "/_commprefs/clock"),
            ("POST", "/_commprefs/clock/advance"),
        ]:
            answer = client.request(method, path, json={})
            assert answer.status_code == 404, (path, answer.text)
            assert answer.json()["category"] == "OBJECT_NOT_FOUND"
        document = client.get("/openapi.json").json()
        assert not [p for p in document["paths"] if "_commprefs" in p]
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}
    assert "INFO:     ready" in server.log().splitlines()
