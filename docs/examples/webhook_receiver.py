"""An example webhook receiver: standard library only, copy it and adapt it.

Run it::

    WEBHOOK_SECRETS=whsec_... python docs/examples/webhook_receiver.py --port 8765

then create an endpoint pointing at ``http://<this host>:8765/webhooks`` with the secret it gave
you. ``WEBHOOK_SECRETS`` may hold two comma-separated secrets while *you* roll over to a rotated
one (the sender signs with both during the overlap, so holding either is enough).

What it shows:

1. verify the ``Payouts-Signature`` header over the raw body, before parsing anything
   (``verify`` below is a copy of ``webhooks/signing.py``);
2. answer 2xx quickly; anything else (or no answer within 10 s) means "send it again later";
3. deliveries are at least once: remember the event ids you have handled and ignore repeats;
4. deliveries can arrive out of order: the ``sequence`` of an object's events tells which is the
   newest, so an older event never overwrites newer state.

A real receiver keeps the seen ids and sequences in its database (a unique constraint on the
event id), and hands the work to a queue rather than doing it inside the request.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY_BYTES = 1_000_000
TOLERANCE_S = 300


class SignatureError(Exception):
    pass


def verify(body: bytes, header: str, secret: str, tolerance_s: int = TOLERANCE_S) -> None:
    """Raise ``SignatureError`` unless ``header`` is a recent signature of ``body`` by
    ``secret`` (a copy of ``webhooks.signing.verify``)."""
    timestamps, signatures = [], []
    for part in (header or "").split(","):
        name, separator, value = part.strip().partition("=")
        if not separator:
            raise SignatureError("malformed signature header")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not (timestamps[0].isascii() and timestamps[0].isdigit()):
        raise SignatureError("the header needs exactly one t=<unix seconds>")
    if not signatures:
        raise SignatureError("the header has no v1 signature")
    if abs(int(time.time()) - int(timestamps[0])) > tolerance_s:
        raise SignatureError("the timestamp is outside the tolerance")
    signed = timestamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest().encode()
    if not any(hmac.compare_digest(expected, s.encode("utf-8", "replace")) for s in signatures):
        raise SignatureError("no signature matches")


class Inbox:
    """What this receiver has handled: event ids (for deduplication) and, per object, the
    newest sequence and data seen."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: set[int] = set()
        self.latest: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}

    def handle(self, event: dict[str, Any]) -> str:
        with self.lock:
            if event["id"] in self.seen:
                return "duplicate"
            self.seen.add(event["id"])
            key = (event["object_type"], event["object_id"])
            current = self.latest.get(key)
            if current is not None and current[0] > event["sequence"]:
                return "stale"  # an older event arriving late: keep the newer state
            self.latest[key] = (event["sequence"], event["data"])
            return "applied"


def make_server(
    host: str,
    port: int,
    secrets: list[str],
    on_event: Callable[[dict[str, Any], str], None] | None = None,
) -> ThreadingHTTPServer:
    """A server verifying with any of ``secrets``; ``on_event(event, outcome)`` is called for
    each authentic event (outcome: applied, duplicate or stale). The server's ``inbox``
    attribute holds what it handled."""
    inbox = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(413, "too large")
                return
            body = self.rfile.read(length)  # the raw bytes: verify before parsing
            header = self.headers.get("Payouts-Signature", "")
            if not any(_verifies(body, header, secret) for secret in secrets):
                self._answer(400, "bad signature")
                return
            event = json.loads(body)
            outcome = inbox.handle(event)
            if on_event is not None:
                on_event(event, outcome)
            self._answer(200, outcome)

        def _answer(self, status: int, text: str) -> None:
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.inbox = inbox  # type: ignore[attr-defined]
    return server


def _verifies(body: bytes, header: str, secret: str) -> bool:
    try:
        verify(body, header, secret)
    except SignatureError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    secrets = [s.strip() for s in os.environ.get("WEBHOOK_SECRETS", "").split(",") if s.strip()]
    if not secrets:
        raise SystemExit("set WEBHOOK_SECRETS to the endpoint's secret (whsec_...)")

    def show(event: dict[str, Any], outcome: str) -> None:
        print(  # noqa: T201 - an example
            f"{outcome:9} {event['type']:28} {event['object_type']} {event['object_id']} "
            f"#{event['sequence']} (event {event['id']})",
            flush=True,
        )

    server = make_server(args.host, args.port, secrets, on_event=show)
    print(f"listening on http://{args.host}:{args.port}/", flush=True)  # noqa: T201
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
