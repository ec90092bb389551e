"""Times outside what commprefs can hold, in every form each time parameter takes, on both
databases: ``asOf`` and ``after`` of /commprefs/v1, ``--as-of`` and ``--since`` of the CLI, and
import timestamps in CSV and NDJSON. Each is a clear refusal (400 naming the parameter, a
one-line CLI error, a rejected row); none is a 500 or a traceback, none writes anything, and
an HTTP client's keep-alive connection carries on after the 400.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.integration.test_import_export import import_file, read_csv
from tests.integration.test_ledger import history
from tests.support import cli
from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server
from tests.support.v4 import V4

LEDGER = "/commprefs/v1"
V4_PREFIX = "/communication-preferences/v4"
LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last instant commprefs holds

# Every form a time parameter takes, with values just past either end and far past them.
OUT_OF_RANGE = [
    # epoch milliseconds
    str(LAST_MS + 1),
    "300000000000000",
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "9" * 30,
    "-1",
    f"-{LAST_MS + 1}",
    # ISO dates and datetimes, with and without offsets
    "10000-01-01",
    "+10000-01-01",
    "0000-01-01",
    "0001-01-01",
    "1969-12-31",
    "1969-12-31T23:59:59.999Z",
    "1970-01-01T00:59:59+01:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999-00:01",
    "99991231T235959-0100",
    # numbers that are not whole milliseconds, and words for infinity
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e20",
    "1.5",
    f"{LAST_MS}.5",
    "0x7fffffffffffffff",
    "\u0661\u0662\u0663",  # Arabic-Indic digits are not epoch milliseconds
]
IN_RANGE = ["0", str(LAST_MS), "1970-01-01", "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59Z"]


def local_port(response: httpx.Response) -> int:
    """The client's end of the connection that carried a response."""
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


def state(http: httpx.Client, tenant: Tenant, subscriber: str, **params: str) -> httpx.Response:
    return http.get(
        f"{LEDGER}/subscribers/{subscriber}/state",
        params={"channel": "EMAIL", **params},
        headers=tenant.headers,
    )


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, (field, response.status_code, response.text)
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"
    assert body["correlationId"]
    assert [e["in"] for e in body["errors"]] == [field], body
    assert "Traceback" not in response.text
    assert response.headers.get("connection", "").lower() != "close"


def assert_refused_on_a_living_connection(
    refused: httpx.Response, field: str, next_request: Callable[[], httpx.Response]
) -> None:
    """A 400 naming ``field``, after which the same keep-alive connection answers again."""
    assert_refused(refused, field)
    answered = next_request()
    assert answered.status_code == 200, answered.text
    assert local_port(answered) == local_port(refused)


def test_as_of_outside_the_representable_range_is_a_400_and_the_connection_carries_on(
    server: Server, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    subscriber = email()
    with httpx.Client(base_url=server.url, timeout=30.0) as http:
        assert V4(http, V4_PREFIX, tenant).unsubscribe_all(subscriber).is_success
        before = history(http, tenant, subscriber)
        for value in OUT_OF_RANGE:
            refused = state(http, tenant, subscriber, asOf=value)
            assert_refused_on_a_living_connection(
                refused, "asOf", lambda: state(http, tenant, subscriber)
            )
            assert value in refused.json()["message"]
            assert "9999-12-31T23:59:59.999Z" in refused.json()["message"]
            assert local_port(refused) == local_port(before), value  # one connection throughout
        for value in IN_RANGE:
            answered = state(http, tenant, subscriber, asOf=value)
            assert answered.status_code == 200, (value, answered.text)
        # A read is a read: the ledger is as it was.
        assert history(http, tenant, subscriber).json() == before.json()


def test_history_after_outside_its_range_is_a_400_naming_it(
    server: Server, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    subscriber = email()
    with httpx.Client(base_url=server.url, timeout=30.0) as http:
        for value in ["-1", str(2**63), "9" * 30, "1.5", "NaN", "inf", "1e3", "", "\u0661"]:
            assert_refused_on_a_living_connection(
                history(http, tenant, subscriber, after=value),
                "after",
                lambda: history(http, tenant, subscriber),
            )
        last = history(http, tenant, subscriber, after=str(2**63 - 1))
        assert last.status_code == 200
        assert last.json()["results"] == []


def test_state_of_an_unknown_business_unit_is_the_400_v4_gives(
    http: httpx.Client, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    subscriber = email()
    v4 = V4(http, V4_PREFIX, tenant).statuses(subscriber, businessUnitId="99")
    ours = state(http, tenant, subscriber, businessUnitId="99")
    assert_refused(ours, "businessUnitId")
    assert v4.status_code == 400
    assert ours.json()["message"] == v4.json()["message"]
    assert ours.json()["errors"] == v4.json()["errors"]
    # A unit that exists, and the default unit, still answer.
    brand = factory.business_unit(tenant.portal)
    assert state(http, tenant, subscriber, businessUnitId=str(brand.id)).status_code == 200
    assert state(http, tenant, subscriber, businessUnitId="0").status_code == 200


def assert_one_line_error(done: Any, option: str) -> None:
    assert done.returncode == 1, (option, done.stdout, done.stderr)
    assert done.stderr.startswith(f"error: {option}: "), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "9999-12-31T23:59:59.999Z" in done.stderr


def test_cli_times_outside_the_representable_range_are_one_line_errors(
    server: Server, http: httpx.Client, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    subscriber = email()
    assert V4(http, V4_PREFIX, tenant).unsubscribe_all(subscriber).is_success
    db = ("--database", server.database_url)
    portal = ("--portal", str(tenant.portal.id))
    cli.json_of("webhooks", "add", *portal, "--url", "https://hooks.example.com/in", *db)
    webhooks_before = cli.json_of("webhooks", "list", *portal, *db)
    for value in OUT_OF_RANGE:
        replay = cli.run("webhooks", "replay", *portal, "--since", value, *db)
        assert_one_line_error(replay, "--since")
        as_of = cli.run("history", *portal, "--email", subscriber, "--as-of", value, *db)
        assert_one_line_error(as_of, "--as-of")
    assert cli.json_of("webhooks", "list", *portal, *db) == webhooks_before
    for value in IN_RANGE:
        assert cli.run("webhooks", "replay", *portal, "--since", value, *db).returncode == 0
        rebuilt = cli.run("history", *portal, "--email", subscriber, "--as-of", value, *db)
        assert rebuilt.returncode == 0, rebuilt.stderr


def test_import_rows_with_times_outside_the_range_are_rejected_and_the_rest_applied(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=1)
    [news] = tenant.definitions
    v4 = V4(http, V4_PREFIX, tenant)
    # More good rows ahead of the bad ones than one transaction of the import holds.
    early = [email("early") for _ in range(1_000)]
    bad = [email("bad") for _ in OUT_OF_RANGE]
    late = [email("late") for _ in range(5)]
    path = tmp_path / "times.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["email", "subscriptionId", "status", "timestamp"])
        writer.writerows([a, news.id, "UNSUBSCRIBED", "2025-01-01T00:00:00Z"] for a in early)
        writer.writerows(
            [a, news.id, "UNSUBSCRIBED", value] for a, value in zip(bad, OUT_OF_RANGE, strict=True)
        )
        writer.writerows([a, news.id, "UNSUBSCRIBED", str(LAST_MS // 10**6)] for a in late)

    code, summary = import_file(server, tenant, path)
    assert code == 2

    rows = len(early) + len(bad) + len(late)
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (
        rows,
        len(early) + len(late),
        len(bad),
    )
    rejected = read_csv(Path(summary["rejectsFile"]))
    first_bad_line = len(early) + 2
    assert [(r["_line"], r["_field"], r["timestamp"]) for r in rejected] == [
        (str(first_bad_line + i), "timestamp", value) for i, value in enumerate(OUT_OF_RANGE)
    ]
    assert all("9999-12-31T23:59:59.999Z" in r["_error"] for r in rejected)
    for address in bad:
        assert factory.ledger(tenant.portal, address) == []
    for address in (early[0], early[-1], *late):
        assert v4.states(address) == {news.id: "UNSUBSCRIBED"}


def test_ndjson_import_rows_with_times_outside_the_range_are_rejected(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=1)
    [news] = tenant.definitions
    v4 = V4(http, V4_PREFIX, tenant)
    # As strings, in every form; as JSON numbers, whole, fractional and huge.
    values: list[Any] = [
        *OUT_OF_RANGE,
        LAST_MS + 1,
        2**63,
        2**64 - 1,
        -1,
        1.5,
        1e300,
        -0.0,
        float(LAST_MS),
    ]
    good, bad = email("good"), [email("bad") for _ in values]
    lines = [
        {"email": a, "subscriptionId": news.id, "status": "UNSUBSCRIBED", "timestamp": v}
        for a, v in zip(bad, values, strict=True)
    ]
    lines.append({"email": good, "subscriptionId": news.id, "status": "UNSUBSCRIBED"})
    path = tmp_path / "times.ndjson"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))

    code, summary = import_file(server, tenant, path)
    assert code == 2

    assert (summary["rows"], summary["imported"], summary["rejected"]) == (
        len(lines),
        1,
        len(bad),
    )
    rejects = [json.loads(line) for line in Path(summary["rejectsFile"]).read_text().splitlines()]
    assert [(r["_line"], r["_field"]) for r in rejects] == [
        (i + 1, "timestamp") for i in range(len(bad))
    ]
    for address in bad:
        assert factory.ledger(tenant.portal, address) == []
    assert v4.states(good) == {news.id: "UNSUBSCRIBED"}
