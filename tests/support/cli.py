"""Running the real ``commprefs`` command from tests."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.support import launch
from tests.support.server import COMMPREFS


def run(
    *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``commprefs ARGS`` with its output captured as text (forked: tests/support/launch.py)."""
    return launch.run([COMMPREFS, *args], timeout=timeout, env=env)


def json_of(*args: str) -> Any:
    done = run(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
