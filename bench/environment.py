"""What the figures were measured on: machine, versions, and the commit."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg

from bench.data import POSTGRES_ADMIN_URL

REPO = Path(__file__).resolve().parent.parent


def _output(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=REPO)
    except OSError as exc:
        return f"unavailable: {exc}"
    return (done.stdout or done.stderr).strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _postgres_version() -> str:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"
    except psycopg.Error as exc:
        return f"unavailable: {exc}"


def describe() -> dict[str, Any]:
    return {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": _output("git", "rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_output("git", "status", "--porcelain", "--", "src")),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_mb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20,
        "python": platform.python_version(),
        "packages": {
            name: version(name)
            for name in ("uvicorn", "uvloop", "httptools", "starlette", "fastapi", "sqlalchemy")
        },
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "wrk": _output("wrk", "--version").splitlines()[0]
        if _output("which", "wrk")
        else "missing",
    }
