"""The sandbox provider and our adapter, end to end over real HTTP, Redis and processes.

Most tests share one sandbox (settle 300 ms, return 600 ms, hang 3 s) that calls back a real
local HTTP receiver; every test uses fresh idempotency keys, so they do not see each other's
transfers. Tests that need a clean event feed or a reset start their own sandbox.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
import pytest

from rails.failures import (
    ACH_RETURN_CODES,
    FAILURE_CODES,
    ISO_REASON_CODES,
    UnknownFailureCode,
    failure_for_ach,
    failure_for_iso,
    failure_get,
)
from rails.providers.sandbox import (
    InvalidSignature,
    MalformedCallback,
    ProviderUnavailable,
    SandboxClient,
    verify_callback,
)
from rails.types import Destination, OutcomeKind, ProviderEvent, SubmitRequest, TransferStatus
from sandbox.callbacks import signature_header
from sandbox.magic import magic_value
from tests.sandbox_process import RunningSandbox, free_port, sandbox_server

T = TypeVar("T")
WAIT_S = 10.0


def _redis_url() -> str:
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


@pytest.fixture(scope="module")
def receiver() -> Iterator[CallbackReceiver]:
    server = CallbackReceiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def sandbox(receiver: CallbackReceiver) -> Iterator[RunningSandbox]:
    with sandbox_server(redis_url=_redis_url(), callback_url=receiver.url) as running:
        yield running


@pytest.fixture
def sb(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The shared sandbox, with every injected fault cleared after the test."""
    yield sandbox
    sandbox.faults_clear()


@pytest.fixture
def client(sb: RunningSandbox) -> SandboxClient:
    return sb.client(timeout_s=1.0)


def status_of(client: SandboxClient, reference: str) -> TransferStatus:
    transfer = client.transfer_get(reference)
    assert transfer is not None
    return transfer.status


def events_of(client: SandboxClient, reference: str) -> list[ProviderEvent]:
    events, cursor, has_more = [], 0, True
    while has_more:
        page, has_more = client.events_after(cursor)
        events.extend(page)
        cursor = page[-1].sequence if page else cursor
    return [event for event in events if event.transfer.provider_reference == reference]


# --- failure codes (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("R01", "insufficient_funds"),
        ("R02", "account_closed"),
        ("R03", "no_account"),
        ("R04", "invalid_account_number"),
        ("R05", "unauthorized"),
        ("R06", "returned_per_odfi"),
        ("R07", "authorization_revoked"),
        ("R08", "payment_stopped"),
        ("R09", "uncollected_funds"),
        ("R10", "unauthorized"),
        ("R14", "beneficiary_deceased"),
        ("R15", "beneficiary_deceased"),
        ("R16", "account_frozen"),
        ("R17", "invalid_account_data"),
        ("R20", "non_transaction_account"),
        ("R23", "credit_refused"),
        ("R24", "duplicate_entry"),
        ("R29", "unauthorized"),
        (" r01 ", "insufficient_funds"),
        ("R99", "ach_return_other"),
        ("R31", "ach_return_other"),
        ("", "ach_return_other"),
    ],
)
def test_ach_return_codes_map_to_our_codes(raw: str, code: str) -> None:
    assert failure_for_ach(raw).code == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("AC01", "invalid_account_number"),
        ("AC04", "account_closed"),
        ("AC06", "account_frozen"),
        ("AG01", "transaction_forbidden"),
        ("AM04", "insufficient_funds"),
        ("AM05", "duplicate_entry"),
        ("BE05", "no_account"),
        ("MD07", "beneficiary_deceased"),
        ("MS02", "not_specified"),
        ("MS03", "not_specified"),
        ("RC01", "invalid_bic"),
        ("FF01", "invalid_file_format"),
        ("NARR", "other"),
        ("ac04", "account_closed"),
        ("ZZ99", "other"),
    ],
)
def test_iso_reason_codes_map_to_our_codes(raw: str, code: str) -> None:
    assert failure_for_iso(raw).code == code


def test_failure_code_flags_and_registry() -> None:
    assert failure_get("provider_timeout").retryable is True
    assert failure_get("provider_unavailable").retryable is True
    assert failure_get("insufficient_funds").retryable is True
    assert failure_get("account_closed").retryable is False
    assert failure_get("account_closed").payee_action_required is True
    assert failure_get("invalid_destination").payee_action_required is True
    assert failure_get("duplicate_entry").payee_action_required is False
    assert failure_get("limit_exceeded").retryable is False
    for target in (*ACH_RETURN_CODES.values(), *ISO_REASON_CODES.values()):
        assert target in FAILURE_CODES
    with pytest.raises(UnknownFailureCode):
        failure_get("no_such_code")


@pytest.mark.parametrize(
    ("details", "value"),
    [
        ({"account_number": "000123450001", "routing_number": "021000021"}, "0001"),
        ({"iban": "DE89370400440532010002"}, "0002"),
        ({"clabe": "032180000118350003"}, "0003"),
        ({"email": "ada0004@example.com"}, "0004"),
        ({"vpa": "ada.0005@okaxis"}, "0005"),
        ({"phone": "+5511999990006"}, "0006"),
        ({"token": "tok_abc", "last4": "0007"}, "0007"),
        ({"token": "tok_4242x0009", "brand": "visa"}, "0009"),
        ({"key": "123.456.780-0008"}, "0008"),
        ({"email": "ada@0001.com"}, ""),
        ({"account_number": "123"}, ""),
        ({"routing_number": "021000021"}, ""),
    ],
)
def test_magic_value_is_the_last_four_digits_of_the_main_identifier(
    details: dict[str, str], value: str
) -> None:
    assert magic_value(details) == value


# --- submission and idempotency ----------------------------------------------------------------


def test_submit_then_replay_returns_the_same_transfer_once_accepted(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    request = request_for()

    first = client.submit(request)
    second = client.submit(request)

    assert first.kind == OutcomeKind.ACCEPTED
    assert first.provider_reference.startswith("tr_")
    assert second == first
    assert sb.accepted_count(request.idempotency_key) == 1
    assert sb.submit_count(request.idempotency_key) == 2
    transfer = client.transfer_by_key(request.idempotency_key)
    assert transfer is not None
    assert transfer.provider_reference == first.provider_reference
    assert (transfer.status, transfer.amount_minor, transfer.currency) == (
        TransferStatus.PROCESSING,
        1250,
        "USD",
    )
    raw = sb.http.post(
        "/v1/transfers",
        json=body_for(request),
        headers={"Idempotency-Key": request.idempotency_key},
    )
    assert raw.status_code == 200
    assert raw.json()["id"] == first.provider_reference


def test_concurrent_submits_with_one_key_create_one_transfer(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    request = request_for()

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda _: client.submit(request), range(32)))

    assert {outcome.kind for outcome in outcomes} == {OutcomeKind.ACCEPTED}
    assert len({outcome.provider_reference for outcome in outcomes}) == 1
    assert sb.accepted_count(request.idempotency_key) == 1
    assert sb.submit_count(request.idempotency_key) == 32


def test_key_reused_with_another_body_is_refused_and_nothing_changes(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    request = request_for()
    accepted = client.submit(request)

    outcome = client.submit(replace(request, amount_minor=999))
    raw = sb.http.post(
        "/v1/transfers",
        json=body_for(replace(request, amount_minor=998)),
        headers={"Idempotency-Key": request.idempotency_key},
    )

    # A transfer exists under the key, so the adapter must not claim "rejected, no money moved".
    assert (outcome.kind, outcome.failure_code) == (OutcomeKind.UNKNOWN, "idempotency_key_reused")
    assert raw.status_code == 422
    assert raw.json()["error"]["code"] == "idempotency_key_reused"
    assert sb.accepted_count(request.idempotency_key) == 1
    transfer = client.transfer_by_key(request.idempotency_key)
    assert transfer is not None
    assert (transfer.provider_reference, transfer.amount_minor) == (
        accepted.provider_reference,
        1250,
    )


def test_every_call_but_healthz_needs_the_api_key(sb: RunningSandbox) -> None:
    request = request_for()
    body = body_for(request)
    headers = {"Idempotency-Key": request.idempotency_key}

    missing = httpx.post(f"{sb.url}/v1/transfers", json=body, headers=headers)
    wrong = httpx.post(
        f"{sb.url}/v1/transfers", json=body, headers={**headers, "Authorization": "Bearer nope"}
    )
    control = httpx.get(f"{sb.url}/_sandbox/stats")
    health = httpx.get(f"{sb.url}/healthz")
    with SandboxClient(sb.url, "sk_wrong", 1.0) as bad_client:
        outcome = bad_client.submit(request)
        with pytest.raises(ProviderUnavailable) as raised:
            bad_client.transfer_by_key(request.idempotency_key)

    assert (missing.status_code, wrong.status_code, control.status_code) == (401, 401, 401)
    assert missing.json()["error"]["code"] == "unauthorized"
    assert health.status_code == 200
    assert (outcome.kind, outcome.failure_code) == (OutcomeKind.UNKNOWN, "provider_auth_failed")
    assert raised.value.status_code == 401
    assert sb.submit_count(request.idempotency_key) == 0


def test_submit_without_idempotency_key_is_refused(sb: RunningSandbox) -> None:
    response = sb.http.post("/v1/transfers", json=body_for(request_for()))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = json.loads(json.dumps(body))
    *parents, leaf = path.split(".")
    target = changed
    for name in parents:
        target = target[name]
    if value is ...:
        del target[leaf]
    else:
        target[leaf] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("amount_minor", 0, "validation_error", "amount_minor"),
        ("amount_minor", -5, "validation_error", "amount_minor"),
        ("amount_minor", "12.50", "validation_error", "amount_minor"),
        ("amount_minor", True, "validation_error", "amount_minor"),
        ("amount_minor", 1.5, "validation_error", "amount_minor"),
        ("amount_minor", 10**12, "limit_exceeded", "amount_minor"),
        ("currency", "usd", "validation_error", "currency"),
        ("reference", "", "validation_error", "reference"),
        ("destination", ..., "validation_error", "destination"),
        ("destination.country", "USA", "validation_error", "destination.country"),
        ("destination.holder_name", None, "validation_error", "destination.holder_name"),
        ("destination.details", {"routing_number": "021000021"}, "invalid_destination", None),
        ("destination.details", {"account_number": 12}, "validation_error", None),
    ],
)
def test_malformed_submissions_answer_422_and_store_nothing(
    sb: RunningSandbox, path: str, value: Any, code: str, field: str | None
) -> None:
    request = request_for()
    response = sb.http.post(
        "/v1/transfers",
        json=_with(body_for(request), path, value),
        headers={"Idempotency-Key": request.idempotency_key},
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["field"] == (field or "destination.details")
    assert sb.accepted_count(request.idempotency_key) == 0
    assert sb.submit_count(request.idempotency_key) == 1
    assert sb.client().transfer_by_key(request.idempotency_key) is None


def test_a_body_that_is_not_json_answers_422(sb: RunningSandbox) -> None:
    response = sb.http.post(
        "/v1/transfers", content=b"{nope", headers={"Idempotency-Key": "not-json"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_unknown_transfers_are_none(client: SandboxClient) -> None:
    assert client.transfer_get("tr_doesnotexist") is None
    assert client.transfer_by_key(f"att_{uuid.uuid4().hex}") is None


# --- the HTTP layer ----------------------------------------------------------------------------


def _raw_exchange(sb: RunningSandbox, payload: bytes) -> bytes:
    """Send raw bytes, read until the server closes the connection (or 5 s pass)."""
    host, port = sb.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_unknown_routes_and_methods(sb: RunningSandbox) -> None:
    missing = sb.http.get("/v1/nothing")
    wrong_method = sb.http.delete("/v1/events")

    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (
        405,
        "method_not_allowed",
    )


def test_pipelined_requests_are_answered_in_order_and_http_1_0_closes(sb: RunningSandbox) -> None:
    auth = f"Authorization: Bearer {sb.api_key}\r\n".encode()
    answer = _raw_exchange(
        sb,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        + b"GET /v1/transfers/tr_none HTTP/1.1\r\nHost: x\r\n"
        + auth
        + b"\r\n"
        + b"GET /healthz HTTP/1.0\r\n\r\n",
    )

    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert statuses == [b"200", b"404", b"200"]
    assert answer.endswith(b'{"status":"ok"}')
    assert b"Connection: close" in answer


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET /healthz HTTP/2.0\r\n\r\n", b"505"),
        (b"POST /v1/transfers HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"411"),
        (b"POST /v1/transfers HTTP/1.1\r\nContent-Length: 999999\r\n\r\n", b"413"),
        (b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n", b"431"),
    ],
)
def test_protocol_errors_are_answered_and_the_connection_closed(
    sb: RunningSandbox, payload: bytes, status: bytes
) -> None:
    answer = _raw_exchange(sb, payload)

    assert answer.startswith(b"HTTP/1.1 " + status)
    assert b"Connection: close" in answer


# --- magic values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last4", "status", "failure_code", "raw_code"),
    [
        ("4242", TransferStatus.PAID, "", ""),
        ("0001", TransferStatus.FAILED, "insufficient_funds", "R01"),
        ("0004", TransferStatus.FAILED, "account_closed", "R02"),
        ("0010", TransferStatus.FAILED, "account_closed", "AC04"),
        ("0011", TransferStatus.FAILED, "destination_rejected", "destination_rejected"),
        ("0008", TransferStatus.PAID, "", ""),
    ],
)
def test_transfers_settle_asynchronously_as_their_magic_value_says(
    client: SandboxClient,
    last4: str,
    status: TransferStatus,
    failure_code: str,
    raw_code: str,
) -> None:
    outcome = client.submit(request_for(last4))
    reference = outcome.provider_reference

    assert outcome.kind == OutcomeKind.ACCEPTED
    assert status_of(client, reference) == TransferStatus.PROCESSING
    wait_for(lambda: status_of(client, reference) != TransferStatus.PROCESSING)
    transfer = client.transfer_get(reference)
    assert transfer is not None
    assert (transfer.status, transfer.failure_code, transfer.raw_code) == (
        status,
        failure_code,
        raw_code,
    )
    assert [event.transfer.status for event in events_of(client, reference)] == [status]


@pytest.mark.parametrize(
    ("last4", "failure_code", "raw_code"),
    [("0002", "insufficient_funds", "R01"), ("0009", "no_account", "R03")],
)
def test_paid_then_returned_after_the_return_latency(
    client: SandboxClient, last4: str, failure_code: str, raw_code: str
) -> None:
    reference = client.submit(request_for(last4)).provider_reference

    wait_for(lambda: status_of(client, reference) == TransferStatus.RETURNED)
    events = events_of(client, reference)

    assert [event.transfer.status for event in events] == [
        TransferStatus.PAID,
        TransferStatus.RETURNED,
    ]
    assert events[0].sequence < events[1].sequence
    returned = events[1].transfer
    assert (returned.failure_code, returned.raw_code) == (failure_code, raw_code)
    assert returned.failure_message


def test_magic_0003_times_out_once_then_the_same_key_answers_at_once(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    request = request_for("0003")

    started = time.monotonic()
    first = client.submit(request)
    timed_out_after = time.monotonic() - started
    stored = client.transfer_by_key(request.idempotency_key)
    started = time.monotonic()
    second = client.submit(request)
    answered_after = time.monotonic() - started

    assert (first.kind, first.failure_code) == (OutcomeKind.UNKNOWN, "provider_timeout")
    assert 0.9 < timed_out_after < 2.5
    assert stored is not None  # stored before the response hung, so resubmitting is a replay
    assert second.kind == OutcomeKind.ACCEPTED
    assert second.provider_reference == stored.provider_reference
    assert answered_after < 0.9
    assert sb.accepted_count(request.idempotency_key) == 1
    wait_for(lambda: status_of(client, stored.provider_reference) == TransferStatus.PAID)


def test_magic_0005_is_rejected_at_submission_and_nothing_is_stored(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    request = request_for("0005")

    outcome = client.submit(request)

    assert (outcome.kind, outcome.failure_code) == (OutcomeKind.REJECTED, "invalid_destination")
    assert outcome.provider_reference == ""
    assert client.transfer_by_key(request.idempotency_key) is None
    assert sb.accepted_count(request.idempotency_key) == 0
    assert sb.submit_count(request.idempotency_key) == 1


def test_magic_0006_answers_500_once_without_storing_then_works(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    request = request_for("0006")

    first = client.submit(request)
    missing = client.transfer_by_key(request.idempotency_key)
    second = client.submit(request)
    third = client.submit(request)

    assert (first.kind, first.failure_code) == (OutcomeKind.UNKNOWN, "provider_unavailable")
    assert missing is None
    assert second.kind == OutcomeKind.ACCEPTED
    assert third == second
    assert sb.accepted_count(request.idempotency_key) == 1
    assert sb.submit_count(request.idempotency_key) == 3
    wait_for(lambda: status_of(client, second.provider_reference) == TransferStatus.PAID)


def test_magic_0007_settles_ten_times_slower(client: SandboxClient) -> None:
    slow = client.submit(request_for("0007")).provider_reference
    normal = client.submit(request_for("4242")).provider_reference

    wait_for(lambda: status_of(client, normal) == TransferStatus.PAID)
    time.sleep(0.6)  # 3 x the normal latency, well under 10 x

    assert status_of(client, slow) == TransferStatus.PROCESSING
    wait_for(lambda: status_of(client, slow) == TransferStatus.PAID)


# --- injected faults ---------------------------------------------------------------------------


def test_injected_submit_timeout_then_resubmit_with_the_same_key(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    request = request_for()
    sb.faults(submit_timeouts=1)

    first = client.submit(request)
    second = client.submit(request)

    assert (first.kind, first.failure_code) == (OutcomeKind.UNKNOWN, "provider_timeout")
    assert second.kind == OutcomeKind.ACCEPTED
    stored = client.transfer_by_key(request.idempotency_key)
    assert stored is not None
    assert stored.provider_reference == second.provider_reference
    assert sb.accepted_count(request.idempotency_key) == 1
    assert sb.faults()["submit_timeouts"] == 0


def test_injected_500_is_unknown_and_stores_nothing(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    request = request_for()
    sb.faults(submit_errors=2)

    outcomes = [client.submit(request) for _ in range(3)]

    assert [(o.kind, o.failure_code) for o in outcomes[:2]] == [
        (OutcomeKind.UNKNOWN, "provider_unavailable")
    ] * 2
    assert outcomes[2].kind == OutcomeKind.ACCEPTED
    assert sb.accepted_count(request.idempotency_key) == 1
    assert sb.submit_count(request.idempotency_key) == 3


def test_settle_now_applies_pending_settlements_at_once(
    sb: RunningSandbox, client: SandboxClient
) -> None:
    sb.faults(settle_after_ms=60_000)
    paid = client.submit(request_for()).provider_reference
    returned = client.submit(request_for("0002")).provider_reference
    time.sleep(0.5)
    assert status_of(client, paid) == TransferStatus.PROCESSING

    assert sb.settle_now(returns=False) >= 2
    assert status_of(client, paid) == TransferStatus.PAID
    assert status_of(client, returned) == TransferStatus.PAID
    sb.settle_now()
    assert status_of(client, returned) == TransferStatus.RETURNED


def test_unreachable_provider_is_unknown_for_submit_and_raises_for_reads() -> None:
    with SandboxClient(f"http://127.0.0.1:{free_port()}", "sk", 1.0) as dead:
        outcome = dead.submit(request_for())
        with pytest.raises(ProviderUnavailable):
            dead.transfer_by_key("anything")
        with pytest.raises(ProviderUnavailable):
            dead.events_after(0)

    assert (outcome.kind, outcome.failure_code) == (OutcomeKind.UNKNOWN, "provider_unavailable")


# --- event feed --------------------------------------------------------------------------------


def test_event_feed_is_ordered_and_pages_by_cursor() -> None:
    with sandbox_server(redis_url=_redis_url(), settle_after_ms=0, workers=1) as own:
        client = own.client()
        references = [client.submit(request_for()).provider_reference for _ in range(5)]
        own.settle_now()

        everything, has_more = client.events_after(0)
        first_two, more_after_two = client.events_after(0, limit=2)
        rest, more_after_rest = client.events_after(first_two[-1].sequence)

        with pytest.raises(ValueError, match="limit"):
            client.events_after(0, limit=1001)

    assert [event.sequence for event in everything] == [1, 2, 3, 4, 5]
    assert has_more is False
    assert len({event.event_id for event in everything}) == 5
    assert sorted(event.transfer.provider_reference for event in everything) == sorted(references)
    assert {event.transfer.status for event in everything} == {TransferStatus.PAID}
    assert (first_two, more_after_two) == (everything[:2], True)
    assert (rest, more_after_rest) == (everything[2:], False)


def test_reset_forgets_everything() -> None:
    with sandbox_server(redis_url=_redis_url(), workers=1) as own:
        client = own.client()
        request = request_for()
        client.submit(request)
        assert own.stats()["accepted_total"] == 1

        own.reset()

        assert own.stats() == {
            "accepted_total": 0,
            "submits_total": 0,
            "events_total": 0,
            "pending_settlements": 0,
            "pending_returns": 0,
            "pending_callbacks": 0,
            "accepted_by_key": {},
        }
        assert client.transfer_by_key(request.idempotency_key) is None


# --- signed callbacks --------------------------------------------------------------------------


def test_callbacks_are_signed_batches_that_verify(
    sb: RunningSandbox, client: SandboxClient, receiver: CallbackReceiver
) -> None:
    reference = client.submit(request_for("0001")).provider_reference

    delivery, event = wait_for(lambda: receiver.deliveries_for(reference))[0]
    events = verify_callback(
        body=delivery.body, signature_header=delivery.signature, secret=sb.webhook_secret
    )

    assert event["type"] == "transfer.failed"
    ours = [e for e in events if e.transfer.provider_reference == reference]
    assert len(ours) == 1
    assert ours[0].transfer.status == TransferStatus.FAILED
    assert (ours[0].transfer.failure_code, ours[0].transfer.raw_code) == (
        "insufficient_funds",
        "R01",
    )
    assert ours[0] in events_of(client, reference)
    with pytest.raises(InvalidSignature):
        verify_callback(
            body=delivery.body, signature_header=delivery.signature, secret="whsec_other"
        )


def test_a_refused_callback_is_retried_until_acknowledged(
    sb: RunningSandbox, client: SandboxClient, receiver: CallbackReceiver
) -> None:
    reference = client.submit(request_for()).provider_reference
    receiver.fail_next_for(reference)

    def acknowledged() -> list[tuple[Delivery, dict[str, Any]]] | None:
        found = receiver.deliveries_for(reference)
        return found if any(delivery.answered == 200 for delivery, _ in found) else None

    started = time.monotonic()
    deliveries = wait_for(acknowledged)

    answers = [delivery.answered for delivery, _ in deliveries]
    assert answers == [500, 200]
    assert time.monotonic() - started > 0.9  # the first retry waits about a second
    for delivery, _ in deliveries:
        verify_callback(
            body=delivery.body, signature_header=delivery.signature, secret=sb.webhook_secret
        )


def test_paused_callbacks_arrive_after_the_feed_and_reversed(
    sb: RunningSandbox, client: SandboxClient, receiver: CallbackReceiver
) -> None:
    sb.faults(callbacks_paused=True, callbacks_reversed=True)
    references = [client.submit(request_for()).provider_reference for _ in range(3)]
    wait_for(lambda: all(status_of(client, r) == TransferStatus.PAID for r in references))
    time.sleep(0.2)
    assert all(not receiver.deliveries_for(reference) for reference in references)

    sb.faults(callbacks_paused=False)
    wait_for(lambda: all(receiver.deliveries_for(reference) for reference in references))

    batches = {
        id(delivery): [e["sequence"] for e in delivery.events()]
        for reference in references
        for delivery, _ in receiver.deliveries_for(reference)
    }
    assert any(len(seqs) > 1 for seqs in batches.values())
    for seqs in batches.values():
        assert seqs == sorted(seqs, reverse=True)


@pytest.mark.parametrize("via", ["magic_0008", "fault"])
def test_duplicate_callbacks_deliver_the_same_event_twice(
    sb: RunningSandbox, client: SandboxClient, receiver: CallbackReceiver, via: str
) -> None:
    if via == "fault":
        sb.faults(duplicate_callbacks=True)
    last4 = "0008" if via == "magic_0008" else "4242"
    reference = client.submit(request_for(last4)).provider_reference

    wait_for(lambda: len(receiver.deliveries_for(reference)) >= 2)
    time.sleep(0.3)  # time for a third delivery, which must not come

    deliveries = receiver.deliveries_for(reference)
    assert len(deliveries) == 2
    (first, first_event), (second, second_event) = deliveries
    assert first is not second  # two POSTs, as a provider's redelivery would be
    assert first_event == second_event
    assert first_event["type"] == "transfer.paid"


# --- callback verification ---------------------------------------------------------------------


SECRET = "whsec_unit"
EVENT: dict[str, Any] = {
    "id": "ev_7",
    "sequence": 7,
    "type": "transfer.paid",
    "created": 1_800_000_000,
    "transfer": {
        "id": "tr_1",
        "idempotency_key": "att_1",
        "status": "paid",
        "amount_minor": 100,
        "currency": "USD",
        "reference": "po_1",
        "failure_code": "",
        "raw_code": "",
        "failure_message": "",
    },
}
BODY = json.dumps({"events": [EVENT]}).encode()
NOW = 1_800_000_100


def test_verify_callback_accepts_a_fresh_valid_signature() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=NOW - 10)

    events = verify_callback(body=BODY, signature_header=header, secret=SECRET, now=NOW)

    assert [(e.sequence, e.event_id, e.transfer.status) for e in events] == [
        (7, "ev_7", TransferStatus.PAID)
    ]


@pytest.mark.parametrize(
    "tamper",
    [
        "body",
        "signature",
        "stale",
        "future",
        "no_timestamp",
        "no_signature",
        "garbage",
        "non_ascii",
        "empty",
    ],
)
def test_verify_callback_refuses_what_it_cannot_trust(tamper: str) -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=NOW)
    timestamp, signature = header.split(",")
    body = BODY
    if tamper == "body":
        body = BODY.replace(b"100", b"900")
    elif tamper == "signature":
        header = f"{timestamp},v1={'0' * 64}"
    elif tamper == "stale":
        header = signature_header(secret=SECRET, body=BODY, timestamp=NOW - 301)
    elif tamper == "future":
        header = signature_header(secret=SECRET, body=BODY, timestamp=NOW + 301)
    elif tamper == "no_timestamp":
        header = signature
    elif tamper == "no_signature":
        header = timestamp
    elif tamper == "garbage":
        header = "t=abc,v1=xyz"
    elif tamper == "non_ascii":
        header = f"{timestamp},v1=é{'0' * 63}"
    elif tamper == "empty":
        header = ""

    with pytest.raises(InvalidSignature):
        verify_callback(body=body, signature_header=header, secret=SECRET, now=NOW)


def test_verify_callback_accepts_any_matching_signature_during_rotation() -> None:
    header = signature_header(secret=SECRET, body=BODY, timestamp=NOW)
    rotated = header.replace("v1=", f"v1={'f' * 64},v1=")

    assert len(verify_callback(body=BODY, signature_header=rotated, secret=SECRET, now=NOW)) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"data": []}',
        b'{"events": {}}',
        json.dumps({"events": [{**EVENT, "sequence": "7"}]}).encode(),
        json.dumps(
            {"events": [{**EVENT, "transfer": {**EVENT["transfer"], "status": "x"}}]}
        ).encode(),
    ],
)
def test_verify_callback_refuses_a_malformed_body_even_when_signed(body: bytes) -> None:
    header = signature_header(secret=SECRET, body=body, timestamp=NOW)

    with pytest.raises(MalformedCallback):
        verify_callback(body=body, signature_header=header, secret=SECRET, now=NOW)


def test_verify_callback_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        verify_callback(body=BODY, signature_header="t=1,v1=00", secret="", now=NOW)
