"""The pytest plugin (entry point ``pytest11: commprefs``): a served emulator for the session and
a fresh state for each test.

- ``commprefs_emulator`` (session): ``Emulator`` started once, seeded from the ``commprefs_seed``
  fixture, which by default reads the ini option ``commprefs_seed`` (a YAML or JSON file, relative
  to the rootdir); override the fixture to seed from code.
- ``commprefs`` (function): the same handle, reset before the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from commprefs.testing.emulator import DEFAULT_TOKEN, Emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("commprefs_seed", "seed document (YAML or JSON) of the commprefs emulator")
    parser.addini("commprefs_token", "the emulator's access token", default=DEFAULT_TOKEN)


@pytest.fixture(scope="session")
def commprefs_seed(pytestconfig: pytest.Config) -> dict[str, Any] | str | Path | None:
    """What the emulator is seeded with: the ini option ``commprefs_seed``, or None."""
    value = str(pytestconfig.getini("commprefs_seed") or "")
    return pytestconfig.rootpath / value if value else None


@pytest.fixture(scope="session")
def commprefs_emulator(
    pytestconfig: pytest.Config, commprefs_seed: dict[str, Any] | str | Path | None
) -> Iterator[Emulator]:
    token = str(pytestconfig.getini("commprefs_token") or DEFAULT_TOKEN)
    with Emulator(seed=commprefs_seed, token=token) as emulator:
        yield emulator


@pytest.fixture
def commprefs(commprefs_emulator: Emulator) -> Emulator:
    commprefs_emulator.reset()
    return commprefs_emulator
