"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread that verifies each
request's signature with ``webhooks.signing.verify`` against the secrets it holds, and records
what it accepted. It can fail on purpose (500), answer slowly, or be stopped (port closed) and
started again on the same port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from webhooks.signing import SignatureError, verify

OK, FAIL, SLOW = "ok", "fail", "slow"


@dataclass(frozen=True)
class Received:
    event: dict[str, Any]
    body: bytes
    headers: dict[str, str]


class Receiver:
    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.mode = OK
        self.slow_s = 0.0
        self.received: list[Received] = []  # verified and answered 200
        self.requests = 0
        self.rejected = 0  # bad signature: answered 400
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        server.daemon_threads = True
        server.receiver = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the port: connections are refused until ``start``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = None

    def event_ids(self) -> list[int]:
        with self.lock:
            return [r.event["id"] for r in self.received]

    def events(self, type_prefix: str = "") -> list[dict[str, Any]]:
        with self.lock:
            return [r.event for r in self.received if r.event["type"].startswith(type_prefix)]

    def accepts(self, body: bytes, header: str) -> bool:
        for secret in self.secrets:
            try:
                verify(body, header, secret)
            except SignatureError:
                continue
            return True
        return False


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = dict(self.headers.items())
        with receiver.lock:
            receiver.requests += 1
            mode, slow_s = receiver.mode, receiver.slow_s
        if not receiver.accepts(body, self.headers.get("Payouts-Signature", "")):
            with receiver.lock:
                receiver.rejected += 1
            self._answer(400, b"bad signature")
            return
        if mode == FAIL:
            self._answer(500, b"receiver is failing")
            return
        if mode == SLOW:
            time.sleep(slow_s)
        with receiver.lock:
            receiver.received.append(Received(json.loads(body), body, headers))
        self._answer(200, b"ok")

    def _answer(self, status: int, payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up (its timeout)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A started receiver, stopped on exit (the test modules' ``receiver`` fixtures)."""
    started = Receiver()
    started.start()
    try:
        yield started
    finally:
        started.stop()
