"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread that verifies each
request's signature with ``webhooks.signing.verify`` against the secrets it holds, and records
what it accepted. It can fail on purpose (500), answer slowly, or be stopped (port closed) and
started again on the same port. ``Trickler`` is a receiver that never finishes its answer."""

from __future__ import annotations

import json
import socket
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


class Trickler:
    """A receiver that never finishes answering: it reads each request, then sends the start of
    an answer one byte every ``every_s`` for as long as it runs. It counts the requests it got
    and the connections still open (a sender that gave up closed its own)."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Padding: " + b"x" * 4096

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s
        self.requests = 0
        self.open = 0
        self.lock = threading.Lock()
        self._stopped = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        is_counted = False
        with conn:
            conn.settimeout(5)
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                with self.lock:
                    self.requests += 1
                    self.open += 1
                is_counted = True
                for byte in self.ANSWER:
                    if self._stopped.wait(self.every_s):
                        break
                    conn.sendall(bytes([byte]))
            except OSError:
                pass  # the sender gave up and closed
            finally:
                if is_counted:
                    with self.lock:
                        self.open -= 1

    def stop(self) -> None:
        self._stopped.set()
        self._server.close()


@contextmanager
def trickling(every_s: float = 1.0) -> Iterator[Trickler]:
    started = Trickler(every_s)
    try:
        yield started
    finally:
        started.stop()
