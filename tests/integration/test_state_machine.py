"""Random sequences of v3 and v4 operations against the served app and an in-test model of
DESIGN.md's rules (hypothesis RuleBasedStateMachine); a divergence fails with the shortest
sequence that shows it."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.support.factories import Factory, Tenant, email

V4 = "/communication-preferences/v4"
V3 = "/communication-preferences/v3"
STATES = ["SUBSCRIBED", "UNSUBSCRIBED", "NOT_SPECIFIED"]
PORTAL = "PORTAL"


@dataclass
class Model:
    """DESIGN.md's rules, written down independently of the service's code."""

    units: dict[int, int]  # subscription id -> business unit
    stored: dict[tuple[str, int], str] = field(default_factory=dict)
    opted_out: set[tuple[str, object]] = field(default_factory=set)

    def covered(self, who: str, kind: int) -> bool:
        return (who, PORTAL) in self.opted_out or (who, self.units[kind]) in self.opted_out

    def effective(self, who: str, kind: int) -> str:
        if self.covered(who, kind):
            return "UNSUBSCRIBED"
        return self.stored.get((who, kind), "NOT_SPECIFIED")

    def reason_for(self, who: str, kind: int, state: str) -> str:
        before = self.stored.get((who, kind), "NOT_SPECIFIED")
        covered = self.covered(who, kind)
        if state == "SUBSCRIBED":
            if covered or before == "UNSUBSCRIBED":
                return "RESUBSCRIBE_OCCURRED"
            return "NO_STATUS_CHANGE" if before == "SUBSCRIBED" else "REQUESTED_CHANGE_OCCURRED"
        if state == "UNSUBSCRIBED":
            unchanged = before == "UNSUBSCRIBED" or covered
            return "NO_STATUS_CHANGE" if unchanged else "REQUESTED_CHANGE_OCCURRED"
        return "NO_STATUS_CHANGE" if before == "NOT_SPECIFIED" else "REQUESTED_CHANGE_OCCURRED"

    def update(self, who: str, kind: int, state: str) -> str:
        reason = self.reason_for(who, kind, state)
        if reason == "RESUBSCRIBE_OCCURRED":
            self.opted_out -= {(who, PORTAL), (who, self.units[kind])}
        self.stored[(who, kind)] = state
        return reason

    def v3_refuses(self, who: str, kind: int, state: str) -> bool:
        """v3 cannot resubscribe, and refuses to unsubscribe someone already unsubscribed."""
        reason = self.reason_for(who, kind, state)
        if state == "SUBSCRIBED":
            return reason == "RESUBSCRIBE_OCCURRED"
        return reason == "NO_STATUS_CHANGE"

    def unsubscribe_all(self, who: str, unit: int | None) -> dict[int, str]:
        self.opted_out.add((who, PORTAL if unit is None else unit))
        reasons = {}
        for kind, kind_unit in self.units.items():
            if unit is not None and kind_unit != unit:
                continue
            before = self.stored.get((who, kind))
            reasons[kind] = (
                "NO_STATUS_CHANGE" if before == "UNSUBSCRIBED" else "UNSUBSCRIBE_FROM_ALL_OCCURRED"
            )
            self.stored[(who, kind)] = "UNSUBSCRIBED"
        return reasons


def build_machine(http: httpx.Client, tenant: Tenant, units: dict[int, int]) -> type:
    brands = sorted(set(units.values()))

    class PreferencesMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.model = Model(units)
            self.people = [email("machine"), email("bystander")]

        def _post(self, path: str, **kwargs: object) -> httpx.Response:
            response = http.post(path, headers=tenant.headers, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 200, response.text
            return response

        @rule(
            person=st.just(0),
            kind=st.sampled_from(sorted(units)),
            state=st.sampled_from(STATES),
            batch=st.booleans(),
        )
        def update(self, person: int, kind: int, state: str, batch: bool) -> None:
            who = self.people[person]
            expected = self.model.update(who, kind, state)
            item = {"channel": "EMAIL", "statusState": state, "subscriptionId": kind}
            if batch:
                body = {"inputs": [{**item, "subscriberIdString": who}]}
                results = self._post(f"{V4}/statuses/batch/write", json=body).json()["results"]
            else:
                results = self._post(f"{V4}/statuses/{who}", json=item).json()["results"]
            assert [(r["setStatusSuccessReason"], r["status"]) for r in results] == [
                (expected, self.model.effective(who, kind))
            ]

        @rule(person=st.just(0), kind=st.sampled_from(sorted(units)), subscribe=st.booleans())
        def v3_change(self, person: int, kind: int, subscribe: bool) -> None:
            who = self.people[person]
            state = "SUBSCRIBED" if subscribe else "UNSUBSCRIBED"
            refused = self.model.v3_refuses(who, kind, state)
            response = http.post(
                f"{V3}/{'subscribe' if subscribe else 'unsubscribe'}",
                json={"emailAddress": who, "subscriptionId": str(kind)},
                headers=tenant.headers,
            )
            if refused:
                assert response.status_code == 400, response.text
                return
            assert response.status_code == 200, response.text
            self.model.update(who, kind, state)
            shown = (
                "SUBSCRIBED"
                if self.model.effective(who, kind) == "SUBSCRIBED"
                else "NOT_SUBSCRIBED"
            )
            assert (response.json()["id"], response.json()["status"]) == (str(kind), shown)

        @rule(person=st.just(0), unit=st.sampled_from([None, *brands]))
        def unsubscribe_all(self, person: int, unit: int | None) -> None:
            who = self.people[person]
            expected = self.model.unsubscribe_all(who, unit)
            params = {"channel": "EMAIL", "verbose": "true"}
            if unit is not None:
                params["businessUnitId"] = str(unit)
            results = self._post(f"{V4}/statuses/{who}/unsubscribe-all", params=params).json()
            got = {r["subscriptionId"]: r["setStatusSuccessReason"] for r in results["results"]}
            assert got == expected

        @invariant()
        def reads_agree_with_the_model(self) -> None:
            body = self._post(
                f"{V4}/statuses/batch/read",
                params={"channel": "EMAIL"},
                json={"inputs": self.people},
            ).json()
            for row in body["results"]:
                who = row["subscriberIdString"]
                assert {s["subscriptionId"]: s["status"] for s in row["statuses"]} == {
                    kind: self.model.effective(who, kind) for kind in units
                }
            for who in self.people:
                wide = http.get(
                    f"{V4}/statuses/{who}/unsubscribe-all",
                    params={"channel": "EMAIL"},
                    headers=tenant.headers,
                ).json()["results"]
                got = {
                    PORTAL if w["wideStatusType"] == "PORTAL_WIDE" else w["businessUnitId"]
                    for w in wide
                }
                assert got == {scope for person, scope in self.model.opted_out if person == who}

    return PreferencesMachine


def test_random_operation_sequences_follow_the_rules(http: httpx.Client, factory: Factory) -> None:
    tenant = factory.tenant(types=2)
    brand = factory.business_unit(tenant.portal)
    branded = factory.definition(tenant.portal, brand.id)
    units = {d.id: 0 for d in tenant.definitions} | {branded.id: brand.id}
    machine = build_machine(http, tenant, units)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
