"""``commprefs import`` and ``commprefs export`` against the real database, on both backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from commprefs.transfer.schemas import COLUMNS
from tests.support import cli
from tests.support.factories import Factory, Tenant, email
from tests.support.imports import import_file, read_csv, write_csv
from tests.support.server import Server
from tests.support.v4 import V4

V4_PREFIX = "/communication-preferences/v4"


def test_import_applies_valid_rows_and_lists_the_rest_with_reasons(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=2, gdpr=True)
    news, offers = tenant.definitions
    brand = factory.business_unit(tenant.portal)
    v4 = V4(http, V4_PREFIX, tenant)
    people = [email(f"p{i}") for i in range(12)]
    # A choice made recently, which an older record in the file must not override.
    assert v4.update(people[8], news.id, "UNSUBSCRIBED").is_success
    header = list(COLUMNS)
    gave_consent = ["CONSENT_WITH_NOTICE", "Signup form"]
    rows = [
        [
            people[0],
            news.id,
            "",
            "",
            "",
            "SUBSCRIBED",
            *gave_consent,
            "2025-03-01T10:00:00Z",
            "CRM",
        ],
        [people[1], "", offers.name, "", "", "UNSUBSCRIBED", "", "", "", ""],
        [people[2], news.id, "", "", "", "SUBSCRIBED", "", "", "", ""],  # GDPR: no basis
        [people[3], 999_999, "", "", "", "UNSUBSCRIBED", "", "", "", ""],  # no such type
        ["not-an-address", news.id, "", "", "", "UNSUBSCRIBED", "", "", "", ""],
        [people[5], news.id, "", "", "", "PAUSED", "", "", "", ""],
        [people[6], "", "", "PORTAL_WIDE", "", "UNSUBSCRIBED", "", "", "2025-01-01", "Old ESP"],
        [people[7], "", "", "BUSINESS_UNIT_WIDE", brand.id, "UNSUBSCRIBED", "", "", "", ""],
        [people[8], news.id, "", "", "", "SUBSCRIBED", *gave_consent, "2020-01-01", ""],  # stale
        [people[9], "", "", "BUSINESS_UNIT_WIDE", 4242, "UNSUBSCRIBED", "", "", "", ""],
        [people[10], news.id, "", "", "", "SUBSCRIBED", *gave_consent, "2999-01-01", ""],
        [people[11], "", offers.name],  # a short row
    ]
    path = write_csv(tmp_path / "people.csv", header, rows)

    code, summary = import_file(server, tenant, path, "--source", "Spring import")

    assert code == 2
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (12, 4, 8)
    rejected = read_csv(Path(summary["rejectsFile"]))
    assert {(r["_line"], r["_field"]) for r in rejected} == {
        ("4", "legalBasis"),
        ("5", "subscriptionId"),
        ("6", "email"),
        ("7", "status"),
        ("10", "timestamp"),
        ("11", "businessUnitId"),
        ("12", "timestamp"),
        ("13", ""),
    }
    assert all(r["_error"] for r in rejected)
    # The report keeps the file's own columns: once fixed, it imports as it is.
    assert list(rejected[0])[: len(header)] == header

    assert v4.states(people[0]) == {news.id: "SUBSCRIBED", offers.id: "NOT_SPECIFIED"}
    assert v4.states(people[1])[offers.id] == "UNSUBSCRIBED"
    assert set(v4.states(people[6]).values()) == {"UNSUBSCRIBED"}
    assert v4.wide(people[7], businessUnitId=brand.id).json()["results"][0]["status"] == (
        "UNSUBSCRIBED"
    )
    assert v4.states(people[8])[news.id] == "UNSUBSCRIBED"  # the newer choice stands
    # A rejected row changed nothing at all.
    for person in (people[2], people[3], people[5], people[9], people[10]):
        assert factory.ledger(tenant.portal, person) == []

    entry = factory.ledger(tenant.portal, people[0])[0]
    assert (entry.api, entry.source, entry.request_id) == ("import", "CRM", summary["requestId"])
    assert entry.legal_basis == "CONSENT_WITH_NOTICE"
    first = v4.statuses(people[0]).json()["results"]
    assert next(r for r in first if r["subscriptionId"] == news.id)["timestamp"] == (
        "2025-03-01T10:00:00.000Z"
    )
    assert factory.ledger(tenant.portal, people[1])[0].source == "Spring import"


def test_ndjson_import_reports_lines_that_are_not_json(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=1)
    [news] = tenant.definitions
    good, other = email(), email()
    path = tmp_path / "people.ndjson"
    path.write_text(
        json.dumps({"email": good, "subscriptionId": news.id, "status": "SUBSCRIBED"})
        + "\n{not json\n\n[1, 2]\n"
        + json.dumps({"subscriber": other, "subscription": news.name, "status": "unsubscribed"})
        + "\n"
    )

    code, summary = import_file(server, tenant, path)

    assert code == 2
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (4, 2, 2)
    rejects = [json.loads(line) for line in Path(summary["rejectsFile"]).read_text().splitlines()]
    assert [(r["_line"], r["_text"]) for r in rejects] == [(2, "{not json"), (4, "[1, 2]")]
    v4 = V4(http, V4_PREFIX, tenant)
    assert v4.states(good) == {news.id: "SUBSCRIBED"}
    assert v4.states(other) == {news.id: "UNSUBSCRIBED"}


def test_a_bad_header_stops_the_import_before_any_row(
    server: Server, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=1)
    subscriber = email()
    path = write_csv(
        tmp_path / "typo.csv",
        ["email", "subscriptionId", "stauts"],
        [[subscriber, tenant.definitions[0].id, "SUBSCRIBED"]],
    )
    done = cli.run(
        "import", "--portal", str(tenant.portal.id), str(path), "--database", server.database_url
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: Unknown column 'stauts'")
    assert len(done.stderr.strip().splitlines()) == 1
    assert factory.ledger(tenant.portal, subscriber) == []


def test_a_hundred_thousand_rows_with_a_progress_bar_and_exact_rejects(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=5)
    ids = [d.id for d in tenant.definitions]
    planted = {
        1_234: ("bad-address", "email"),
        25_000: ("NOPE", "status"),
        50_001: ("9999999", "subscriptionId"),
        77_777: ("not-a-time", "timestamp"),
        99_999: ("bad-address", "email"),
    }
    path = tmp_path / "big.csv"
    with path.open("w") as stream:
        stream.write("email,subscriptionId,status,timestamp,source\n")
        for n in range(1, 100_001):
            address, type_id, state, stamp = (
                f"bulk{n // 2}@example.com",
                str(ids[n % 5]),
                "UNSUBSCRIBED" if n % 3 else "SUBSCRIBED",
                f"2025-{n % 12 + 1:02d}-01T00:00:00Z",
            )
            if n in planted:
                value, column = planted[n]
                address = value if column == "email" else address
                state = value if column == "status" else state
                type_id = value if column == "subscriptionId" else type_id
                stamp = value if column == "timestamp" else stamp
            stream.write(f"{address},{type_id},{state},{stamp},Bulk\n")

    done = cli.run(
        "import",
        "--portal",
        str(tenant.portal.id),
        str(path),
        "--database",
        server.database_url,
        timeout=600,
    )

    assert done.returncode == 2, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("import [")]
    assert len(progress) >= 5
    assert progress[-1].startswith("import [" + "#" * 30 + "] 100%  100,000 rows")
    assert "imported 99,995 of 100,000 rows" in done.stdout
    rejects = read_csv(Path(f"{path}.rejects.csv"))
    # Line numbers count the header as line 1; rejects are listed as they are found.
    found = sorted((int(r["_line"]) - 1, r["_field"]) for r in rejects)
    assert found == sorted((n, column) for n, (_, column) in planted.items())
    v4 = V4(http, V4_PREFIX, tenant)
    for n in (3, 4, 50_000, 99_996, 99_998, 100_000):  # each (address, type) has one row
        address, state = f"bulk{n // 2}@example.com", "UNSUBSCRIBED" if n % 3 else "SUBSCRIBED"
        assert v4.states(address)[ids[n % 5]] == state, n
    report = cli.json_of(
        "ledger", "verify", "--portal", str(tenant.portal.id), "--database", server.database_url
    )
    assert report["portals"][0]["entries"] == 99_995
    assert report["intact"] is True


def make_history(http: httpx.Client, factory: Factory, tenant: Tenant) -> list[str]:
    """Subscribers with every kind of state: chosen statuses with and without legal basis,
    opt-outs of all and of a brand, a lifted opt-out, a reset."""
    news, offers, brand_news = tenant.definitions
    v4 = V4(http, V4_PREFIX, tenant)
    people = [email(f"rt{i}") for i in range(6)]
    basis = {"legalBasis": "LEGITIMATE_INTEREST_CLIENT", "legalBasisExplanation": "Customer"}
    steps = [
        v4.update(people[0], news.id, "SUBSCRIBED", **basis),
        v4.update(people[0], offers.id, "UNSUBSCRIBED"),
        v4.update(people[1], offers.id, "UNSUBSCRIBED"),
        v4.unsubscribe_all(people[1]),
        v4.unsubscribe_all(people[2], businessUnitId=brand_news.business_unit_id),
        v4.update(people[2], news.id, "SUBSCRIBED", **basis),
        v4.unsubscribe_all(people[3]),
        v4.update(people[3], offers.id, "SUBSCRIBED"),  # lifts the opt-out
        v4.update(people[4], news.id, "SUBSCRIBED"),
        v4.update(people[4], news.id, "NOT_SPECIFIED"),
        v4.unsubscribe_all(people[5]),
        v4.update(people[5], news.id, "NOT_SPECIFIED"),  # reset under an opt-out
    ]
    assert all(step.is_success for step in steps), [s.text for s in steps]
    return people


def tenant_like(factory: Factory, model: Tenant) -> Tenant:
    """A new portal with types of the same names and brands as ``model``'s."""
    portal = factory.portal()
    units = {0: 0}
    definitions = []
    for definition in model.definitions:
        if definition.business_unit_id not in units:
            units[definition.business_unit_id] = factory.business_unit(portal).id
        definitions.append(
            factory.definition(portal, units[definition.business_unit_id], name=definition.name)
        )
    return Tenant(portal, factory.token(portal), definitions)


def state_of(http: httpx.Client, tenant: Tenant, people: list[str]) -> dict[str, Any]:
    """Everything reads show of these people, with types named instead of numbered."""
    names = {d.id: d.name for d in tenant.definitions}
    v4 = V4(http, V4_PREFIX, tenant)
    seen: dict[str, Any] = {}
    for person in people:
        statuses = v4.statuses(person).json()["results"]
        seen[person] = {
            # A reset (NOT_SPECIFIED) is not exported: it reads back as never chosen.
            "statuses": sorted(
                (names[s["subscriptionId"]], s["status"])
                if s["status"] == "NOT_SPECIFIED"
                else (
                    names[s["subscriptionId"]],
                    s["status"],
                    s["source"],
                    s.get("legalBasis"),
                    s.get("legalBasisExplanation"),
                    s["timestamp"],
                )
                for s in statuses
            ),
            "wide": sorted(
                (w["wideStatusType"], w["status"], w["timestamp"])
                for w in v4.wide(person).json()["results"]
            ),
        }
    return seen


def test_an_export_imported_elsewhere_rebuilds_the_same_state(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    original = factory.tenant(types=2)
    brand = factory.business_unit(original.portal)
    original.definitions.append(factory.definition(original.portal, brand.id))
    people = make_history(http, factory, original)
    db = ("--database", server.database_url)

    for fmt in ("csv", "ndjson"):
        exported = tmp_path / f"export.{fmt}"
        done = cli.run(
            "export", "statuses", "--portal", str(original.portal.id), "-o", str(exported), *db
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.startswith("exported ")
        copy = tenant_like(factory, original)

        code, summary = import_file(server, copy, exported, "--match", "name")

        assert (code, summary["rejected"]) == (0, 0), summary
        assert state_of(http, copy, people) == state_of(http, original, people)

    # Importing a portal's own export changes nothing anyone can read.
    before = state_of(http, original, people)
    code, summary = import_file(server, original, tmp_path / "export.csv")
    assert (code, summary["rejected"], summary["imported"]) == (0, 0, summary["rows"])
    assert state_of(http, original, people) == before


def test_suppression_lists_name_everyone_who_must_not_be_sent_to(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=1)
    [news] = tenant.definitions
    brand = factory.business_unit(tenant.portal)
    brand_news = factory.definition(tenant.portal, brand.id)
    v4 = V4(http, V4_PREFIX, tenant)
    everyone, of_brand, of_news, reachable = (email(tag) for tag in ("all", "brand", "news", "ok"))
    assert v4.unsubscribe_all(everyone).is_success
    assert v4.unsubscribe_all(of_brand, businessUnitId=brand.id).is_success
    assert v4.update(of_news, news.id, "UNSUBSCRIBED").is_success
    assert v4.update(reachable, news.id, "SUBSCRIBED").is_success
    db = ("--database", server.database_url)
    portal = ("--portal", str(tenant.portal.id))

    def suppressed(*options: str) -> list[tuple[str, str]]:
        done = cli.run("export", "suppression", *portal, *options, "--format", "ndjson", *db)
        assert done.returncode == 0, done.stderr
        rows = [json.loads(line) for line in done.stdout.splitlines()]
        return [(r["email"], r["reason"]) for r in rows]

    assert suppressed() == [(everyone, "PORTAL_WIDE")]
    assert suppressed("--business-unit", str(brand.id)) == sorted(
        [(everyone, "PORTAL_WIDE"), (of_brand, "BUSINESS_UNIT_WIDE")]
    )
    assert suppressed("--subscription", str(news.id)) == sorted(
        [(everyone, "PORTAL_WIDE"), (of_news, "SUBSCRIPTION")]
    )
    assert suppressed("--subscription", str(brand_news.id)) == sorted(
        [(everyone, "PORTAL_WIDE"), (of_brand, "BUSINESS_UNIT_WIDE")]
    )
    as_csv = tmp_path / "suppressed.csv"
    done = cli.run("export", "suppression", *portal, "-o", str(as_csv), *db)
    assert done.returncode == 0
    assert [r["email"] for r in read_csv(as_csv)] == [everyone]

    for bad in (("--subscription", "999999"), ("--business-unit", "999")):
        refused = cli.run("export", "suppression", *portal, *bad, "-o", str(as_csv), *db)
        assert refused.returncode == 1
        assert refused.stderr.startswith("error: ")
    assert [r["email"] for r in read_csv(as_csv)] == [everyone]  # left whole


def test_rows_that_are_not_utf8_are_rejected_and_the_rest_imported(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=1)
    [news] = tenant.definitions
    v4 = V4(http, V4_PREFIX, tenant)
    # Enough rows that the bad bytes sit both in the first block a reader decodes and past it.
    good = [email(f"g{i}") for i in range(400)]
    bad_at = {2: b"\xff", 3: b"caf\xe9", 300: b"\xc3(", 398: b"\xed\xa0\x80"}  # incl. a surrogate
    for fmt in ("csv", "ndjson"):
        lines: list[bytes] = [b"email,subscriptionId,status"] if fmt == "csv" else []
        expected: dict[int, str] = {}
        for index, address in enumerate(good):
            line = len(lines) + 1
            if index in bad_at:
                user = address.encode().replace(b"@", bad_at[index] + b"@")
                expected[line] = address
            else:
                user = address.encode()
            if fmt == "csv":
                lines.append(user + f",{news.id},UNSUBSCRIBED".encode())
            else:
                rest = f'", "subscriptionId": {news.id}, "status": "UNSUBSCRIBED"}}'
                lines.append(b'{"email": "' + user + rest.encode())
        path = tmp_path / f"people.{fmt}"
        path.write_bytes(b"\n".join(lines) + b"\n")

        code, summary = import_file(server, tenant, path)

        assert code == 2, fmt
        assert (summary["rows"], summary["imported"], summary["rejected"]) == (
            len(good),
            len(good) - len(bad_at),
            len(bad_at),
        ), fmt
        report = Path(summary["rejectsFile"])
        if fmt == "csv":
            rejects: list[dict[str, Any]] = read_csv(report)
        else:
            rejects = [json.loads(line) for line in report.read_text().splitlines()]
        assert [int(r["_line"]) for r in rejects] == list(expected), fmt
        assert all("not valid UTF-8" in r["_error"] for r in rejects), rejects
        for index, address in enumerate(good):
            if index not in bad_at:
                assert v4.states(address) == {news.id: "UNSUBSCRIBED"}, (fmt, index)
        # Each valid row was applied once; the bad ones wrote nothing.
        for index in bad_at:
            assert v4.states(good[index]) == {news.id: "NOT_SPECIFIED"}


def test_a_header_that_is_not_utf8_stops_the_import(
    server: Server, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=1)
    subscriber = email()
    path = tmp_path / "header.csv"
    path.write_bytes(
        b"email,subscriptionId,st\xe4tus\n"
        + f"{subscriber},{tenant.definitions[0].id},SUBSCRIBED\n".encode()
    )
    done = cli.run(
        "import", "--portal", str(tenant.portal.id), str(path), "--database", server.database_url
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: The header cannot be read"), done.stderr
    assert "UTF-8" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert factory.ledger(tenant.portal, subscriber) == []
