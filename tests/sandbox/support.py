"""What the sandbox tests share: requests, waiting, and a real callback receiver."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest

from rails.providers.base import RailAdapter
from rails.types import Destination, ProviderEvent, SubmitRequest, TransferStatus

T = TypeVar("T")
WAIT_S = 10.0


def redis_url() -> str:
    from django.conf import settings

    return os.environ.get("REDIS_URL") or str(settings.REDIS_URL)


def wait_for(probe: Callable[[], T | None], *, timeout_s: float = WAIT_S) -> T:
    """Poll ``probe`` until it returns something truthy; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"condition not met within {timeout_s} s")


def request_for(last4: str = "4242", *, amount_minor: int = 1250, key: str = "") -> SubmitRequest:
    destination = Destination(
        method_type="us_bank_account",
        country="US",
        currency="USD",
        holder_name="Ada Lovelace",
        details={"routing_number": "021000021", "account_number": "0001234" + last4},
    )
    return SubmitRequest(
        idempotency_key=key or f"att_{uuid.uuid4().hex}",
        amount_minor=amount_minor,
        currency="USD",
        destination=destination,
        reference=f"po_{uuid.uuid4().hex[:10]}",
    )


def body_for(request: SubmitRequest) -> dict[str, Any]:
    d = request.destination
    return {
        "amount_minor": request.amount_minor,
        "currency": request.currency,
        "reference": request.reference,
        "destination": {
            "method_type": d.method_type,
            "country": d.country,
            "currency": d.currency,
            "holder_name": d.holder_name,
            "details": d.details,
        },
    }


# --- a real callback receiver ------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    answered: int
    signature: str
    body: bytes

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = json.loads(self.body)["events"]
        return events


class CallbackReceiver:
    """A stdlib HTTP server that records every callback POST and answers as planned."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._failures_planned: dict[str, int] = {}  # transfer id -> POSTs to refuse
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                answered = receiver._answer(self.headers.get("Sandbox-Signature", ""), body)
                self.send_response(answered)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/callbacks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _answer(self, signature: str, body: bytes) -> int:
        with self._lock:
            answered = 200
            for event in json.loads(body)["events"]:
                transfer_id = event["transfer"]["id"]
                if self._failures_planned.get(transfer_id):
                    self._failures_planned[transfer_id] -= 1
                    answered = 500
            self.deliveries.append(Delivery(answered, signature, body))
            return answered

    def fail_next_for(self, transfer_id: str, count: int = 1) -> None:
        """Answer 500 to the next ``count`` POSTs that carry an event of this transfer."""
        with self._lock:
            self._failures_planned[transfer_id] = count

    def deliveries_for(self, transfer_id: str) -> list[tuple[Delivery, dict[str, Any]]]:
        with self._lock:
            deliveries = list(self.deliveries)
        return [
            (delivery, event)
            for delivery in deliveries
            for event in delivery.events()
            if event["transfer"]["id"] == transfer_id
        ]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def status_of(client: RailAdapter, reference: str) -> TransferStatus:
    transfer = client.transfer_get(reference)
    assert transfer is not None
    return transfer.status


def events_of(client: RailAdapter, reference: str) -> list[ProviderEvent]:
    events, cursor, has_more = [], 0, True
    while has_more:
        page, has_more = client.events_after(cursor)
        events.extend(page)
        cursor = page[-1].sequence if page else cursor
    return [event for event in events if event.transfer.provider_reference == reference]
