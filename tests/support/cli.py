"""Running the real ``commprefs`` command from tests."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.support.server import COMMPREFS


def run(*args: str, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMPREFS, *args], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def json_of(*args: str) -> Any:
    done = run(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
