"""The exact bytes of the status responses (E2, E3, E5, E7, E10), pinned.

The app runs in-process on a SQLite file with a clock the test sets, so every id and timestamp is
known and whole bodies can be compared byte for byte: key order, absent optional fields and
timestamp forms included. Rendering is tuned for speed; this is what it must not change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from commprefs.app import create_app
from commprefs.config import Settings
from commprefs.domain.tokens import ALL_SCOPES
from commprefs.services import Services
from commprefs.store.migrate import upgrade

V4 = "/communication-preferences/v4"
T0 = 1_700_000_000_007  # 2023-11-14T22:13:20.007Z: milliseconds with a leading zero
# The ids a fresh database gives the fixture's subscription types and brand.
PORTAL, NEWS, OFFERS, UNICODE, LATER, BRAND = 1, 1, 2, 4, 5, 1


class SetClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def now_ms(self) -> int:
        return self.now


class Wire:
    def __init__(
        self, client: httpx.AsyncClient, clock: SetClock, services: Services, token: str
    ) -> None:
        self.client = client
        self.clock = clock
        self.services = services
        self.headers = {"Authorization": f"Bearer {token}"}

    async def post(self, at: int, path: str, **kwargs: Any) -> httpx.Response:
        self.clock.now = at
        response = await self.client.post(f"{V4}{path}", headers=self.headers, **kwargs)
        assert response.status_code in (200, 207), response.text
        return response

    async def get(self, at: int, path: str, **kwargs: Any) -> httpx.Response:
        self.clock.now = at
        response = await self.client.get(f"{V4}{path}", headers=self.headers, **kwargs)
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
async def wire(tmp_path: Path) -> AsyncIterator[Wire]:
    clock = SetClock(T0)
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'wire.db'}"), clock)
    services: Services = app.state.services
    await upgrade(services.database)
    try:
        portal = await services.portals.create_portal("Wire")
        brand = await services.portals.create_business_unit(portal.id, "Brand")
        made = []
        for offset, name, unit, active in [
            (1, "News", 0, True),
            (2, "Offers", brand.id, True),
            (3, "Gone", 0, False),
            (4, 'Ünïcode "q"', 0, True),
        ]:
            clock.now = T0 + offset
            made.append(
                await services.portals.create_definition(
                    portal.id, name, "d", unit, is_active=active
                )
            )
        assert [d.id for d in made] == [NEWS, OFFERS, 3, UNICODE]
        assert (portal.id, brand.id) == (PORTAL, BRAND)
        _, token = await services.tokens.create(portal.id, ALL_SCOPES, "wire")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wire") as client:
            yield Wire(client, clock, services, token)
    finally:
        await services.database.dispose()


def status(
    subscriber: str,
    subscription: int,
    state: str,
    source: str,
    at: str,
    unit: int,
    name: str,
    tail: str = "",
) -> str:
    """One PublicStatus; ``tail`` is what follows subscriptionName (optional fields)."""
    return (
        f'{{"channel":"EMAIL","source":"{source}","status":"{state}",'
        f'"subscriberIdString":"{subscriber}","subscriptionId":{subscription},'
        f'"timestamp":"{at}","businessUnitId":{unit},"subscriptionName":"{name}"{tail}}}'
    )


def envelope(results: list[str], at: str) -> str:
    return (
        f'{{"status":"COMPLETE","results":[{",".join(results)}],'
        f'"startedAt":"{at}","completedAt":"{at}","requestedAt":"{at}"'
    )


def bulk(subscriber: str, statuses: list[str]) -> str:
    return f'{{"subscriberIdString":"{subscriber}","statuses":[{",".join(statuses)}]}}'


UNICODE_NAME = '\u00dcn\u00efcode \\"q\\"'
NOPE = "'nope' is not a valid email address: An email address must have an @-sign."
A, B, C, D = "a@example.com", "b@example.com", "c@example.com", "d@example.com"
API, UNCHOSEN = "Public status API", "Not specified"
# When the definitions were made (T0 + 1, + 2, + 4): what a type never chosen reports.
NEWS_AT, OFFERS_AT, UNICODE_AT = (
    "2023-11-14T22:13:20.008Z",
    "2023-11-14T22:13:20.009Z",
    "2023-11-14T22:13:20.011Z",
)
CHANGED = ',"setStatusSuccessReason":"REQUESTED_CHANGE_OCCURRED"'


async def test_status_responses_are_byte_for_byte_what_they_were(wire: Wire) -> None:
    at = "2024-08-02T19:28:39.390Z"
    basis = ',"legalBasis":"CONSENT_WITH_NOTICE","legalBasisExplanation":"Said \\"yes\\" \u2713"'
    e3 = await wire.post(
        1_722_626_919_390,
        f"/statuses/{A}",
        json={
            "channel": "EMAIL",
            "statusState": "SUBSCRIBED",
            "subscriptionId": NEWS,
            "legalBasis": "CONSENT_WITH_NOTICE",
            "legalBasisExplanation": 'Said "yes" \u2713',
        },
    )
    assert (
        e3.content.decode()
        == envelope([status(A, NEWS, "SUBSCRIBED", API, at, 0, "News", basis + CHANGED)], at) + "}"
    )

    at = "2024-08-02T19:28:39.999Z"
    e10 = await wire.post(
        1_722_626_919_999,
        "/statuses/batch/write",
        json={
            "inputs": [
                {
                    "subscriberIdString": B,
                    "channel": "EMAIL",
                    "statusState": "UNSUBSCRIBED",
                    "subscriptionId": UNICODE,
                },
                {
                    "subscriberIdString": C,
                    "channel": "EMAIL",
                    "statusState": "SUBSCRIBED",
                    "subscriptionId": NEWS,
                },
            ]
        },
    )
    assert (
        e10.content.decode()
        == envelope(
            [
                status(B, UNICODE, "UNSUBSCRIBED", API, at, 0, UNICODE_NAME, CHANGED),
                status(C, NEWS, "SUBSCRIBED", API, at, 0, "News", CHANGED),
            ],
            at,
        )
        + "}"
    )

    # b opts out of the brand, c of everything (covering its own SUBSCRIBED choice).
    brand_out, all_out = "2024-10-27T03:33:20.000Z", "2024-10-27T03:33:20.001Z"
    e5 = await wire.post(
        1_730_000_000_000,
        f"/statuses/{B}/unsubscribe-all",
        params={"channel": "EMAIL", "businessUnitId": BRAND, "verbose": "true"},
    )
    from_all = ',"setStatusSuccessReason":"UNSUBSCRIBE_FROM_ALL_OCCURRED"'
    assert (
        e5.content.decode()
        == envelope(
            [status(B, OFFERS, "UNSUBSCRIBED", API, brand_out, BRAND, "Offers", from_all)],
            brand_out,
        )
        + "}"
    )
    await wire.post(
        1_730_000_000_001, f"/statuses/{C}/unsubscribe-all", params={"channel": "EMAIL"}
    )
    # A type made after c's opt-out has no row for c: the opt-out itself is what c reads.
    wire.clock.now = 1_740_000_000_100
    later = await wire.services.portals.create_definition(PORTAL, "Later", "d", BRAND)
    assert later.id == LATER
    later_at = "2025-02-19T21:20:00.100Z"

    at = "2025-06-15T15:06:40.050Z"
    a_read = [
        status(A, NEWS, "SUBSCRIBED", API, "2024-08-02T19:28:39.390Z", 0, "News", basis),
        status(A, OFFERS, "NOT_SPECIFIED", UNCHOSEN, OFFERS_AT, BRAND, "Offers"),
        status(A, UNICODE, "NOT_SPECIFIED", UNCHOSEN, UNICODE_AT, 0, UNICODE_NAME),
        status(A, LATER, "NOT_SPECIFIED", UNCHOSEN, later_at, BRAND, "Later"),
    ]
    b_read = [
        status(B, NEWS, "NOT_SPECIFIED", UNCHOSEN, NEWS_AT, 0, "News"),
        status(B, OFFERS, "UNSUBSCRIBED", API, brand_out, BRAND, "Offers"),
        status(B, UNICODE, "UNSUBSCRIBED", API, "2024-08-02T19:28:39.999Z", 0, UNICODE_NAME),
        status(B, LATER, "UNSUBSCRIBED", API, brand_out, BRAND, "Later"),
    ]
    c_read = [
        status(C, NEWS, "UNSUBSCRIBED", API, all_out, 0, "News"),
        status(C, OFFERS, "UNSUBSCRIBED", API, all_out, BRAND, "Offers"),
        status(C, UNICODE, "UNSUBSCRIBED", API, all_out, 0, UNICODE_NAME),
        status(C, LATER, "UNSUBSCRIBED", API, all_out, BRAND, "Later"),
    ]
    d_read = [
        status(D, NEWS, "NOT_SPECIFIED", UNCHOSEN, NEWS_AT, 0, "News"),
        status(D, OFFERS, "NOT_SPECIFIED", UNCHOSEN, OFFERS_AT, BRAND, "Offers"),
        status(D, UNICODE, "NOT_SPECIFIED", UNCHOSEN, UNICODE_AT, 0, UNICODE_NAME),
        status(D, LATER, "NOT_SPECIFIED", UNCHOSEN, later_at, BRAND, "Later"),
    ]
    e2 = await wire.get(1_750_000_000_050, f"/statuses/{B}", params={"channel": "EMAIL"})
    assert e2.headers["content-type"] == "application/json"
    assert e2.content.decode() == envelope(b_read, at) + "}"

    e7 = await wire.post(
        1_750_000_000_050,
        "/statuses/batch/read",
        params={"channel": "EMAIL"},
        json={"inputs": ["A@Example.com", "nope", B, D, C]},
    )
    assert e7.status_code == 207
    assert e7.headers["content-type"] == "application/json"
    assert e7.content.decode() == (
        envelope([bulk(A, a_read), bulk(B, b_read), bulk(D, d_read), bulk(C, c_read)], at)
        + ',"errors":[{"status":"error","category":"VALIDATION_ERROR",'
        f'"message":"{NOPE}","errors":[{{"message":"{NOPE}","in":"inputs[1]",'
        '"code":"INVALID_VALUE"}],'
        '"context":{"subscriberIdString":["nope"]},"links":{}}],"numErrors":1}'
    )
