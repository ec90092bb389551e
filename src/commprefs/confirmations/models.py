"""What the confirmation pages show: view values built by the confirmation service."""

from __future__ import annotations

from dataclasses import dataclass, field

from commprefs.centre.models import PageContext


@dataclass(frozen=True)
class ConfirmationPage:
    """The page a confirmation link opens (GET): what would be confirmed, and the button."""

    context: PageContext
    types: list[str]
    expires: str


@dataclass(frozen=True)
class ConfirmedPage:
    """The answer to a confirmation (POST): what is subscribed now, and what could not be."""

    context: PageContext
    subscribed: list[str]
    failed: list[str] = field(default_factory=list)
