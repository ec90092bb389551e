"""How the tests run schemathesis: its command line, in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# CPython 3.11 keeps the AST constructor's recursion counter per interpreter, not per thread
# (gh-106905), so two threads in ast.parse at once corrupt it: schemathesis' threads make hypothesis
# describe filter lambdas concurrently and crash with "AST constructor recursion depth mismatch".
# Serialising ast.parse in the schemathesis process avoids the interpreter bug.
_RUN_SCHEMATHESIS = """
import ast, sys, threading
_parse, _lock = ast.parse, threading.Lock()
def _serialised_parse(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)
ast.parse = _serialised_parse
from schemathesis.cli import schemathesis
sys.argv[0] = "st"
sys.exit(schemathesis())
"""
SCHEMATHESIS = [sys.executable, "-c", _RUN_SCHEMATHESIS]


def fuzz(document: str, examples: int, seed: str, cwd: Path, *options: str) -> str:
    """Schemathesis over ``document`` (a URL): every check but "schema-valid request accepted"
    (a document cannot say every rule: schema-valid requests are rightly refused with a 400),
    every phase, ``examples`` per operation. Returns the end of its report; raises
    AssertionError with it unless it passed."""
    done = subprocess.run(
        [
            *SCHEMATHESIS,
            "run",
            document,
            *options,
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(examples),
            "--generation-database",
            "none",
            "--seed",
            seed,
        ],
        capture_output=True,
        text=True,
        timeout=600,  # under load the whole document took 155-260 s (44 s on a quiet machine)
        cwd=cwd,
    )
    summary = done.stdout[-6000:]
    assert done.returncode == 0, summary
    assert "Tested: " in summary
    assert "failures" not in summary.splitlines()[-1], summary
    return summary
