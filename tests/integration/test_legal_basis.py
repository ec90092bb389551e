"""A legal basis that is not one of HubSpot's is refused by the service itself, whoever calls it
(v3, v4, an import, a direct caller such as a command), naming ``legalBasis`` and writing
nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from commprefs.domain.errors import InvalidInput
from commprefs.domain.preferences import Actor, State, StatusChange
from tests.support.factories import Factory, Tenant, email
from tests.support.imports import rejects
from tests.support.server import Server

SAYS = (
    "legalBasis 'BOGUS' is not one of CONSENT_WITH_NOTICE, LEGITIMATE_INTEREST_CLIENT, "
    "LEGITIMATE_INTEREST_OTHER, LEGITIMATE_INTEREST_PQL, NON_GDPR, PERFORMANCE_OF_CONTRACT, "
    "PROCESS_AND_STORE."
)


@pytest.fixture(params=[False, True], ids=["no-gdpr", "gdpr"])
def tenant(request: pytest.FixtureRequest, factory: Factory) -> Tenant:
    return factory.tenant(types=1, gdpr=request.param)


def bogus(subscriber: str, tenant: Tenant) -> StatusChange:
    return StatusChange(
        subscriber,
        tenant.definitions[0].id,
        State.SUBSCRIBED,
        legal_basis="BOGUS",
        legal_basis_explanation="Signed up at the fair",
    )


def test_the_service_refuses_it_for_a_direct_caller(factory: Factory, tenant: Tenant) -> None:
    actor = Actor(tenant.portal.id, None, "direct", "test")
    subscriber = email()
    with pytest.raises(InvalidInput) as refused:
        factory.run(factory.services.preferences.update_status(actor, bogus(subscriber, tenant)))
    assert refused.value.message == SAYS
    assert [d.in_ for d in refused.value.details] == ["legalBasis"]
    assert factory.ledger(tenant.portal, subscriber) == []


def test_a_batch_refuses_that_input_and_applies_the_rest(factory: Factory, tenant: Tenant) -> None:
    actor = Actor(tenant.portal.id, None, "direct", "test")
    fine, wrong = email(), email()
    good = StatusChange(fine, tenant.definitions[0].id, State.UNSUBSCRIBED)
    outcome = factory.run(
        factory.services.preferences.update_statuses(actor, [good, bogus(wrong, tenant)])
    )
    assert [(i, e.message) for i, e in outcome.errors] == [(1, SAYS)]
    assert [s.subscriber for s in outcome.statuses] == [fine]
    assert factory.ledger(tenant.portal, wrong) == []


def test_an_import_row_is_rejected_in_the_same_words(
    server: Server, factory: Factory, tenant: Tenant, tmp_path: Path
) -> None:
    subscriber = email()
    row = [subscriber, tenant.definitions[0].id, "", "", "", "SUBSCRIBED", "BOGUS", "x", "", ""]
    found = rejects(server, tenant, tmp_path / "bogus.csv", [row])
    rejected = [(r["_field"], r["_error"]) for r in found]
    assert rejected == [("legalBasis", SAYS)]
    assert factory.ledger(tenant.portal, subscriber) == []


@pytest.mark.parametrize(
    "path", ["/communication-preferences/v4", "/communication-preferences/2026-03"]
)
def test_v4_refuses_it_naming_the_field(
    http: httpx.Client, factory: Factory, tenant: Tenant, path: str
) -> None:
    subscriber = email()
    body = {
        "channel": "EMAIL",
        "statusState": "SUBSCRIBED",
        "subscriptionId": tenant.definitions[0].id,
        "legalBasis": "BOGUS",
        "legalBasisExplanation": "x",
    }
    response = http.post(f"{path}/statuses/{subscriber}", json=body, headers=tenant.headers)
    assert response.status_code == 400, response.text
    assert [e["in"] for e in response.json()["errors"]] == ["legalBasis"]
    assert factory.ledger(tenant.portal, subscriber) == []
