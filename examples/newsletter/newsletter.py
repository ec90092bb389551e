"""A small application that keeps HubSpot's email subscriptions in step with its own users: it
unsubscribes users who asked to stop, and reads whether one may be sent the newsletter. HubSpot's
own SDK (hubspot-sdk), configured by the environment (HUBSPOT_ACCESS_TOKEN, HUBSPOT_BASE_URL);
a 429 is retried after HubSpot's Retry-After, by the SDK."""

from __future__ import annotations

import os

from hubspot_sdk import HubSpot

NEWSLETTER = 33583163  # the subscription type's id in the HubSpot account


def client() -> HubSpot:
    # The SDK reads HUBSPOT_BASE_URL itself; its retries honour Retry-After on a 429.
    return HubSpot(access_token=os.environ["HUBSPOT_ACCESS_TOKEN"], max_retries=3)


def unsubscribe(emails: list[str]) -> int:
    """Opt each address out of all email; how many were processed."""
    with client() as hubspot:
        for email in emails:
            hubspot.communication_preferences.unsubscribe_all(email, channel="EMAIL")
    return len(emails)


def may_send_newsletter(email: str) -> bool:
    """Whether the address is subscribed to the newsletter."""
    with client() as hubspot:
        statuses = hubspot.communication_preferences.get_statuses(email, channel="EMAIL")
    return any(
        s.subscription_id == NEWSLETTER and s.status == "SUBSCRIBED" for s in statuses.results
    )
