"""How the tests run schemathesis: its command line, in a process of its own."""

from __future__ import annotations

import sys

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
