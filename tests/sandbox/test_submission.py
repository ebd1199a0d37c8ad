"""Submitting transfers to the sandbox through our adapter: idempotency, auth, validation,
injected faults.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httpx
import pytest

from rails.providers.base import ProviderUnavailable, RailAdapter, RailConfig
from rails.providers.registry import adapter_create
from rails.types import OutcomeKind, TransferStatus
from tests.sandbox.support import body_for, request_for, status_of
from tests.sandbox_process import RunningSandbox, free_port

# --- submission and idempotency ----------------------------------------------------------------


def test_submit_then_replay_returns_the_same_transfer_once_accepted(
    sb: RunningSandbox, client: RailAdapter
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
    sb: RunningSandbox, client: RailAdapter
) -> None:
    request = request_for()

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda _: client.submit(request), range(32)))

    assert {outcome.kind for outcome in outcomes} == {OutcomeKind.ACCEPTED}
    assert len({outcome.provider_reference for outcome in outcomes}) == 1
    assert sb.accepted_count(request.idempotency_key) == 1
    assert sb.submit_count(request.idempotency_key) == 32


def test_key_reused_with_another_body_is_refused_and_nothing_changes(
    sb: RunningSandbox, client: RailAdapter
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
    with adapter_create("sandbox", RailConfig(sb.url, "sk_wrong", 1.0)) as bad_client:
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


def test_unknown_transfers_are_none(client: RailAdapter) -> None:
    assert client.transfer_get("tr_doesnotexist") is None
    assert client.transfer_by_key(f"att_{uuid.uuid4().hex}") is None


# --- injected faults ---------------------------------------------------------------------------


def test_injected_submit_timeout_then_resubmit_with_the_same_key(
    sb: RunningSandbox, client: RailAdapter
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
    sb: RunningSandbox, client: RailAdapter
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
    sb: RunningSandbox, client: RailAdapter
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
    with adapter_create(
        "sandbox", RailConfig(f"http://127.0.0.1:{free_port()}", "sk", 1.0)
    ) as dead:
        outcome = dead.submit(request_for())
        with pytest.raises(ProviderUnavailable):
            dead.transfer_by_key("anything")
        with pytest.raises(ProviderUnavailable):
            dead.events_after(0)

    assert (outcome.kind, outcome.failure_code) == (OutcomeKind.UNKNOWN, "provider_unavailable")
