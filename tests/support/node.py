"""Running a scenario script of tests/e2e/node/ through a Node client installed by
``make install`` (package.json, package-lock.json), and reading the JSON it prints."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests" / "e2e" / "node"


def run_script(script: str, package: str, *args: str) -> dict[str, Any]:
    """``node SCRIPT ARGS`` from the project root; what it printed, parsed."""
    node = shutil.which("node")
    assert node, "node is not on PATH"
    assert (ROOT / "node_modules" / package).is_dir(), (
        f"{package} is not installed: run `make install`"
    )
    done = subprocess.run(
        [node, str(SCRIPTS / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed
