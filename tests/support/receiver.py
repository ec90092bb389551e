"""A webhook endpoint for tests: a real HTTP server on 127.0.0.1 that records every POST and can
be told to fail."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]  # lower-cased names
    body: bytes
    status: int  # what we answered
    at: float  # time.monotonic() on arrival

    @property
    def events(self) -> list[dict[str, Any]]:
        parsed: list[dict[str, Any]] = json.loads(self.body)
        return parsed


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self.failures_left = 0
        self.failing = False
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(receiver.delay)
                status = receiver._answer()
                with receiver.lock:
                    receiver.deliveries.append(
                        Delivery(
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            status,
                            time.monotonic(),
                        )
                    )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no")

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, at every test's end.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def _answer(self) -> int:
        with self.lock:
            if self.failing:
                return 503
            if self.failures_left:
                self.failures_left -= 1
                return 500
            return 200

    def fail_next(self, count: int) -> None:
        with self.lock:
            self.failures_left = count

    def acknowledged(self) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.status == 200]

    def events(self) -> list[dict[str, Any]]:
        """Every event in acknowledged deliveries, in arrival order (duplicates included)."""
        return [event for delivery in self.acknowledged() for event in delivery.events]

    def wait_until(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"not reached in {timeout}s; received {len(self.events())}")
            time.sleep(0.02)

    def wait_for_events(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        self.wait_until(lambda: len({e["id"] for e in self.events()}) >= count, timeout)
        return self.events()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
