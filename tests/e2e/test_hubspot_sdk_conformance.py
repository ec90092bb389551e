"""Every method of hubspot-sdk's communication_preferences against a served commprefs.

Each test asserts the semantics (DESIGN.md), and every raw response is checked against HubSpot's
own OpenAPI schema of the version called, because the SDK's models accept more than the schema
allows. The SDK calls 2026-03; the same tests run with its base path swapped to 2026-09 (an httpx
request hook rewrites the prefix of every call), as an application pinning 2026-09 would call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from hubspot_sdk import BadRequestError, HubSpot

from tests.support.contracts import Recorder
from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recording = Recorder()
    yield recording
    assert recording.check_all() > 0


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


SDK_PREFIX = "/communication-preferences/2026-03/"


def _swapping_prefix(version: str) -> Callable[[httpx.Request], None]:
    def swap(request: httpx.Request) -> None:
        path = request.url.raw_path.decode("ascii")
        assert path.startswith(SDK_PREFIX), path
        swapped = f"/communication-preferences/{version}/" + path.removeprefix(SDK_PREFIX)
        request.url = request.url.copy_with(raw_path=swapped.encode("ascii"))

    return swap


@pytest.fixture(params=["2026-03", "2026-09"])
def cp(
    request: pytest.FixtureRequest, server: Server, tenant: Tenant, recorder: Recorder
) -> Iterator[object]:
    hooks: dict[str, list[Callable[..., None]]] = {"response": [recorder]}
    if request.param != "2026-03":
        hooks["request"] = [_swapping_prefix(request.param)]
    http_client = httpx.Client(event_hooks=hooks)
    client = HubSpot(
        access_token=tenant.token, base_url=server.url, max_retries=0, http_client=http_client
    )
    yield client.communication_preferences
    http_client.close()
    assert {path.split("/")[2] for _, path, _, _ in recorder.exchanges} == {request.param}


def test_definitions_list(cp: object, tenant: Tenant, factory: Factory) -> None:
    factory.run(
        factory.services.portals.translate_definition(
            tenant.portal.id, tenant.definitions[0].id, "fr", "Nouvelles", "Les nouvelles"
        )
    )
    plain = cp.definitions.list()  # type: ignore[attr-defined]
    assert [int(d.id) for d in plain.results] == [d.id for d in tenant.definitions]
    assert all(d.subscription_translations is None for d in plain.results)

    translated = cp.definitions.list(include_translations=True)  # type: ignore[attr-defined]
    first = translated.results[0]
    assert [(t.language_code, t.name) for t in first.subscription_translations] == [
        ("fr", "Nouvelles")
    ]
    assert isinstance(first.subscription_translations[0].created_at, int)


def test_get_statuses_update_status_and_resubscribe(cp: object, tenant: Tenant) -> None:
    subscriber = email()
    first, second = tenant.definitions
    fresh = cp.get_statuses(subscriber, channel="EMAIL")  # type: ignore[attr-defined]
    assert {(s.subscription_id, s.status, s.source) for s in fresh.results} == {
        (first.id, "NOT_SPECIFIED", "Not specified"),
        (second.id, "NOT_SPECIFIED", "Not specified"),
    }

    changed = cp.update_status(  # type: ignore[attr-defined]
        subscriber,
        channel="EMAIL",
        status_state="SUBSCRIBED",
        subscription_id=first.id,
        legal_basis="CONSENT_WITH_NOTICE",
        legal_basis_explanation="Signed up at the fair",
    )
    assert [(s.status, s.set_status_success_reason, s.legal_basis) for s in changed.results] == [
        ("SUBSCRIBED", "REQUESTED_CHANGE_OCCURRED", "CONSENT_WITH_NOTICE")
    ]
    same = cp.update_status(  # type: ignore[attr-defined]
        subscriber, channel="EMAIL", status_state="SUBSCRIBED", subscription_id=first.id
    )
    assert same.results[0].set_status_success_reason == "NO_STATUS_CHANGE"

    cp.unsubscribe_all(subscriber, channel="EMAIL")  # type: ignore[attr-defined]
    back = cp.update_status(  # type: ignore[attr-defined]
        subscriber, channel="EMAIL", status_state="SUBSCRIBED", subscription_id=first.id
    )
    assert back.results[0].set_status_success_reason == "RESUBSCRIBE_OCCURRED"
    now = cp.get_statuses(subscriber, channel="EMAIL")  # type: ignore[attr-defined]
    assert {s.subscription_id: s.status for s in now.results} == {
        first.id: "SUBSCRIBED",
        second.id: "UNSUBSCRIBED",
    }
    wide = cp.get_unsubscribe_all_status(subscriber, channel="EMAIL")  # type: ignore[attr-defined]
    assert wide.results == []


def test_unsubscribe_all_and_its_status(cp: object, tenant: Tenant) -> None:
    subscriber = email()
    assert cp.get_unsubscribe_all_status(subscriber, channel="EMAIL").results == []  # type: ignore[attr-defined]
    done = cp.unsubscribe_all(subscriber, channel="EMAIL", verbose=True)  # type: ignore[attr-defined]
    assert {s.set_status_success_reason for s in done.results} == {"UNSUBSCRIBE_FROM_ALL_OCCURRED"}
    wide = cp.get_unsubscribe_all_status(subscriber, channel="EMAIL")  # type: ignore[attr-defined]
    assert [(w.wide_status_type, w.status, w.business_unit_id) for w in wide.results] == [
        ("PORTAL_WIDE", "UNSUBSCRIBED", 0)
    ]


def test_update_status_rejects_unknown_types_with_a_400(cp: object) -> None:
    with pytest.raises(BadRequestError) as refused:
        cp.update_status(  # type: ignore[attr-defined]
            email(), channel="EMAIL", status_state="SUBSCRIBED", subscription_id=987654321
        )
    assert refused.value.body["errors"][0]["in"] == "subscriptionId"


def test_batch_read_and_wide_read(cp: object, tenant: Tenant) -> None:
    opted_out, fresh = email(), email()
    cp.unsubscribe_all(opted_out, channel="EMAIL")  # type: ignore[attr-defined]

    read = cp.statuses.batch.read(channel="EMAIL", inputs=[opted_out, fresh])  # type: ignore[attr-defined]
    by_subscriber = {r.subscriber_id_string: {s.status for s in r.statuses} for r in read.results}
    assert by_subscriber == {opted_out: {"UNSUBSCRIBED"}, fresh: {"NOT_SPECIFIED"}}

    partly = cp.statuses.batch.read(channel="EMAIL", inputs=[fresh, "not-an-email"])  # type: ignore[attr-defined]
    assert [r.subscriber_id_string for r in partly.results] == [fresh]

    wide = cp.statuses.batch.get_unsubscribe_all_statuses(  # type: ignore[attr-defined]
        channel="EMAIL", inputs=[opted_out, fresh]
    )
    rows = {
        r.subscriber_id_string: [(w.wide_status_type, w.status) for w in r.wide_statuses]
        for r in wide.results
    }
    assert rows == {
        opted_out: [("PORTAL_WIDE", "UNSUBSCRIBED")],
        fresh: [("PORTAL_WIDE", "SUBSCRIBED")],
    }


def test_batch_unsubscribe_all_and_batch_write(cp: object, tenant: Tenant) -> None:
    a, b = email(), email()
    quiet = cp.statuses.batch.unsubscribe_all(channel="EMAIL", inputs=[a])  # type: ignore[attr-defined]
    assert quiet.results == []
    verbose = cp.statuses.batch.unsubscribe_all(channel="EMAIL", inputs=[b], verbose=True)  # type: ignore[attr-defined]
    assert [r.subscriber_id_string for r in verbose.results] == [b]
    assert {s.status for s in verbose.results[0].statuses} == {"UNSUBSCRIBED"}

    first = tenant.definitions[0]
    written = cp.statuses.batch.update_statuses(  # type: ignore[attr-defined]
        inputs=[
            {
                "channel": "EMAIL",
                "status_state": "SUBSCRIBED",
                "subscriber_id_string": a,
                "subscription_id": first.id,
            },
            {
                "channel": "EMAIL",
                "status_state": "UNSUBSCRIBED",
                "subscriber_id_string": b,
                "subscription_id": 123456789,
            },
        ]
    )
    assert [(s.subscriber_id_string, s.set_status_success_reason) for s in written.results] == [
        (a, "RESUBSCRIBE_OCCURRED")
    ]
    assert written.num_errors == 1


def test_generate_links(cp: object, tenant: Tenant, server: Server) -> None:
    subscriber = email()
    kind = tenant.definitions[0].id
    links = cp.generate_links(  # type: ignore[attr-defined]
        channel="EMAIL", subscriber_id_string=subscriber, subscription_id=kind, language="fr"
    )
    assert links.subscriber_id_string == subscriber
    for url in (
        links.manage_preferences_url,
        links.unsubscribe_all_url,
        links.unsubscribe_single_url,
    ):
        assert url.startswith(server.url + "/")
        assert subscriber not in url
    without_type = cp.generate_links(channel="EMAIL", subscriber_id_string=subscriber)  # type: ignore[attr-defined]
    assert without_type.unsubscribe_single_url is None
