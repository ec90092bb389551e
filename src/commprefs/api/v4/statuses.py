"""PublicStatus bodies of many readings at once (reference §3); ``domain/bodies.py`` decides
their keys, order and forms.

A batch read renders a thousand of them, most of them alike but for the subscriber; those are
rendered once per response and copied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from commprefs.domain.bodies import public_status
from commprefs.domain.preferences import Channel
from commprefs.domain.rules import Reading


class ReadingRenderer:
    """Renders the readings of one response. A reading met again (rules' ``read_subscribers``
    shares them between subscribers) is not rendered again: its first rendering is copied with
    the subscriber put in its place, which keeps the keys' order. Lives for one response and
    keeps each reading it has seen, so that no other reading can take its ``id`` meanwhile."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.seen: dict[int, tuple[Reading, dict[str, Any]]] = {}

    def render(self, subscriber: str, readings: Sequence[Reading]) -> list[dict[str, Any]]:
        statuses = []
        for reading in readings:
            seen = self.seen.get(id(reading))
            if seen is None:
                status = public_status(
                    subscriber,
                    self.channel,
                    reading.definition,
                    reading.status,
                    reading.source,
                    reading.legal_basis,
                    reading.legal_basis_explanation,
                    reading.timestamp,
                )
                self.seen[id(reading)] = (reading, status)
            else:
                status = seen[1].copy()
                status["subscriberIdString"] = subscriber
            statuses.append(status)
        return statuses


def bulk_statuses(
    channel: Channel, readings: Mapping[str, Sequence[Reading]]
) -> list[dict[str, Any]]:
    """PublicStatusBulkResponse items: each subscriber with its statuses (E7)."""
    renderer = ReadingRenderer(channel)
    return [
        {"subscriberIdString": key, "statuses": renderer.render(key, found)}
        for key, found in readings.items()
    ]
