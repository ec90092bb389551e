"""A thin test client for the v4 / 2026-03 wire API: real HTTP, raw JSON back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.factories import Tenant


@dataclass
class V4:
    http: httpx.Client
    prefix: str
    tenant: Tenant

    @property
    def headers(self) -> dict[str, str]:
        return self.tenant.headers

    def definitions(self, **params: Any) -> httpx.Response:
        return self.http.get(f"{self.prefix}/definitions", params=params, headers=self.headers)

    def statuses(self, subscriber: str, **params: Any) -> httpx.Response:
        return self.http.get(
            f"{self.prefix}/statuses/{subscriber}",
            params={"channel": "EMAIL", **params},
            headers=self.headers,
        )

    def states(self, subscriber: str, **params: Any) -> dict[int, str]:
        response = self.statuses(subscriber, **params)
        assert response.status_code == 200, response.text
        return {r["subscriptionId"]: r["status"] for r in response.json()["results"]}

    def update(
        self, subscriber: str, subscription_id: int, state: str, **body: Any
    ) -> httpx.Response:
        return self.http.post(
            f"{self.prefix}/statuses/{subscriber}",
            json={
                "channel": "EMAIL",
                "statusState": state,
                "subscriptionId": subscription_id,
                **body,
            },
            headers=self.headers,
        )

    def reason(self, subscriber: str, subscription_id: int, state: str, **body: Any) -> str:
        response = self.update(subscriber, subscription_id, state, **body)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert len(results) == 1
        return str(results[0]["setStatusSuccessReason"])

    def unsubscribe_all(self, subscriber: str, **params: Any) -> httpx.Response:
        return self.http.post(
            f"{self.prefix}/statuses/{subscriber}/unsubscribe-all",
            params={"channel": "EMAIL", **params},
            headers=self.headers,
        )

    def wide(self, subscriber: str, **params: Any) -> httpx.Response:
        return self.http.get(
            f"{self.prefix}/statuses/{subscriber}/unsubscribe-all",
            params={"channel": "EMAIL", **params},
            headers=self.headers,
        )

    def batch(self, operation: str, body: Any, **params: Any) -> httpx.Response:
        query = params if operation == "write" else {"channel": "EMAIL", **params}
        return self.http.post(
            f"{self.prefix}/statuses/batch/{operation}",
            params=query,
            json=body,
            headers=self.headers,
        )
