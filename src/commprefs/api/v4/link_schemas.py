"""Wire shapes of E6 (reference §3.4, §3.5), with HubSpot's schema names.

Kept beside the link logic rather than in api/v4/schemas.py so that the two grow independently.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from commprefs.api.params import INT64_MAX
from commprefs.domain.links import GeneratedLinks


class LinkGenerationRequest(BaseModel):
    subscriberIdString: str = Field(  # noqa: N815 - HubSpot's wire name
        max_length=512, description="The subscriber's email address."
    )
    language: str | None = Field(
        default=None,
        max_length=64,
        description="Language of the pages, e.g. 'de' or 'pt-br'; types show their translation "
        "in it when there is one.",
    )
    subscriptionId: int | None = Field(  # noqa: N815
        default=None,
        ge=0,
        le=INT64_MAX,
        description="A subscription type of the business unit; needed for unsubscribeSingleUrl.",
    )


class LinkGenerationResponse(BaseModel):
    managePreferencesUrl: str  # noqa: N815
    subscriberIdString: str  # noqa: N815
    unsubscribeAllUrl: str  # noqa: N815
    unsubscribeSingleUrl: str | None = None  # noqa: N815
    # commprefs extensions (HubSpot's schema allows extra properties): ready header values.
    listUnsubscribe: str | None = Field(  # noqa: N815
        default=None, description="commprefs extension: a ready List-Unsubscribe header value."
    )
    listUnsubscribePost: str | None = Field(  # noqa: N815
        default=None,
        description="commprefs extension: a ready List-Unsubscribe-Post header value (RFC 8058).",
    )


def render_links(links: GeneratedLinks) -> dict[str, Any]:
    body: dict[str, Any] = {
        "managePreferencesUrl": links.manage_url,
        "subscriberIdString": links.subscriber,
        "unsubscribeAllUrl": links.unsubscribe_all_url,
    }
    if links.unsubscribe_single_url is not None:
        body["unsubscribeSingleUrl"] = links.unsubscribe_single_url
    body["listUnsubscribe"] = links.list_unsubscribe
    body["listUnsubscribePost"] = links.list_unsubscribe_post
    return body
