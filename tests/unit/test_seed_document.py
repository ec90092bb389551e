"""The emulator's seed document read alone (issue 15): YAML or JSON, faults named by JSON
pointers, types as the schema says them, and the schema the README shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from commprefs.domain.errors import InvalidInput
from commprefs.emulator.schemas import seed_schema
from commprefs.emulator.seed import pointer, read_seed

README = Path(__file__).resolve().parents[2] / "README.md"


def _pointers(text: str) -> list[str | None]:
    with pytest.raises(InvalidInput) as refused:
        read_seed(text)
    return [detail.in_ for detail in refused.value.details]


def test_yaml_and_json_are_the_same_document() -> None:
    as_yaml = read_seed(
        "statuses:\n"
        "  - {email: a@b.co, subscriptionId: 5, status: SUBSCRIBED,\n"
        "     timestamp: 2024-05-01T10:00:00Z}\n"
    )
    as_json = read_seed(
        json.dumps(
            {
                "statuses": [
                    {
                        "email": "a@b.co",
                        "subscriptionId": 5,
                        "status": "SUBSCRIBED",
                        "timestamp": "2024-05-01T10:00:00.000Z",
                    }
                ]
            }
        )
    )
    assert as_yaml == as_json
    assert as_yaml.statuses[0].timestamp == 1_714_557_600_000


def test_each_fault_is_named_by_a_json_pointer() -> None:
    document = {
        "portals": [{"id": "7"}],
        "subscriptionDefinitions": [{"name": "A", "isInternal": 1}],
        "optOuts": [{"email": "a@b.co", "colour": "red"}],
    }
    assert _pointers(json.dumps(document)) == [
        "/portals/0/id",
        "/subscriptionDefinitions/0/isInternal",
        "/optOuts/0/colour",
    ]


def test_what_is_not_a_document_is_refused_with_where() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_seed("portals: [unclosed\n")
    assert "line" in refused.value.message
    assert _pointers("") == [""]
    assert _pointers("[1, 2]") == [""]


def test_pointers_escape_as_rfc_6901_says() -> None:
    assert pointer("a/b", "m~n", 0) == "/a~1b/m~0n/0"


def test_the_readme_shows_the_schema_the_emulator_serves() -> None:
    text = README.read_text()
    block = re.search(r"<!-- seed-schema:[^>]*-->\n```json\n(.*?)\n```", text, re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == seed_schema()
