"""How our sandbox adapter classifies each kind of answer, against the real sandbox process.

Each failure is one of three kinds, by whether money may have moved; ``submit`` turns the kind
into the outcome the payouts app records (terminal: REJECTED; the others: UNKNOWN).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from rails.providers.base import (
    ErrorKind,
    InvalidSignature,
    OutcomeUnknown,
    ProviderUnavailable,
    RailAdapter,
    RailConfig,
    RailError,
    Retryable,
    TerminalNoMoneyMoved,
)
from rails.providers.http import HttpAnswer
from rails.providers.registry import adapter_create
from rails.providers.sandbox import IDENTIFIER_FIELDS, _submit_error
from rails.types import Destination, OutcomeKind, TransferStatus
from sandbox.callbacks import signature_header
from sandbox.magic import IDENTIFIER_FIELDS as SERVER_IDENTIFIER_FIELDS
from tests.sandbox.support import request_for
from tests.sandbox_process import RunningSandbox, free_port


def _raised(client: RailAdapter, last4: str = "4242", **changes: object) -> RailError:
    with pytest.raises(RailError) as raised:
        client.transfer_create(replace(request_for(last4), **changes))
    return raised.value


def test_an_accepted_submission_returns_the_providers_reference(client: RailAdapter) -> None:
    request = request_for()

    reference = client.transfer_create(request)

    assert reference.startswith("tr_")
    assert client.transfer_create(request) == reference  # a replay names the same transfer


def test_a_timeout_is_an_unknown_outcome(sb: RunningSandbox, client: RailAdapter) -> None:
    request = request_for("0003")  # stored, then the answer hangs past the client's timeout

    with pytest.raises(OutcomeUnknown) as raised:
        client.transfer_create(request)

    error = raised.value
    assert (error.kind, error.failure_code, error.money_may_have_moved) == (
        ErrorKind.OUTCOME_UNKNOWN,
        "provider_timeout",
        True,
    )
    assert client.transfer_by_key(request.idempotency_key) is not None  # money may indeed move


def test_a_5xx_is_an_unknown_outcome(sb: RunningSandbox, client: RailAdapter) -> None:
    sb.faults(submit_errors=1)

    error = _raised(client)

    assert isinstance(error, OutcomeUnknown)
    assert (error.failure_code, error.status_code, error.money_may_have_moved) == (
        "provider_unavailable",
        500,
        True,
    )


@pytest.mark.parametrize(
    ("last4", "changes", "failure_code"),
    [
        ("0005", {}, "invalid_destination"),
        ("4242", {"amount_minor": 10**12}, "limit_exceeded"),
        ("4242", {"currency": "usd"}, "invalid_request"),  # 422 validation_error
    ],
)
def test_a_4xx_refusal_is_terminal_and_no_money_moved(
    sb: RunningSandbox,
    client: RailAdapter,
    last4: str,
    changes: dict[str, object],
    failure_code: str,
) -> None:
    request = replace(request_for(last4), **changes)

    with pytest.raises(TerminalNoMoneyMoved) as raised:
        client.transfer_create(request)

    error = raised.value
    assert (error.kind, error.failure_code, error.status_code) == (
        ErrorKind.TERMINAL_NO_MONEY_MOVED,
        failure_code,
        422,
    )
    assert error.money_may_have_moved is False
    assert sb.accepted_count(request.idempotency_key) == 0


def test_a_reused_key_is_an_unknown_outcome_not_a_refusal(client: RailAdapter) -> None:
    request = request_for()
    client.transfer_create(request)

    with pytest.raises(OutcomeUnknown) as raised:
        client.transfer_create(replace(request, amount_minor=999))

    assert (raised.value.failure_code, raised.value.status_code) == ("idempotency_key_reused", 422)
    assert raised.value.money_may_have_moved is True


def test_refused_credentials_are_retryable_for_submit_and_reads(sb: RunningSandbox) -> None:
    request = request_for()
    with adapter_create("sandbox", RailConfig(sb.url, "sk_wrong", 1.0)) as wrong:
        with pytest.raises(Retryable) as submitted:
            wrong.transfer_create(request)
        with pytest.raises(Retryable) as read:
            wrong.transfer_by_key(request.idempotency_key)

    assert (submitted.value.failure_code, submitted.value.status_code) == (
        "provider_auth_failed",
        401,
    )
    assert submitted.value.money_may_have_moved is False
    assert isinstance(read.value, ProviderUnavailable)
    assert read.value.status_code == 401
    assert sb.submit_count(request.idempotency_key) == 0


def test_an_unreachable_provider_is_retryable() -> None:
    nowhere = RailConfig(f"http://127.0.0.1:{free_port()}", "sk", 1.0)
    with adapter_create("sandbox", nowhere) as dead:
        with pytest.raises(Retryable) as submitted:
            dead.transfer_create(request_for())
        with pytest.raises(ProviderUnavailable) as read:
            dead.events_after(0)

    assert submitted.value.failure_code == "provider_unavailable"
    assert submitted.value.money_may_have_moved is False
    assert read.value.kind is ErrorKind.RETRYABLE


@pytest.mark.parametrize(
    ("last4", "fault", "kind", "failure_code"),
    [
        ("4242", {}, OutcomeKind.ACCEPTED, ""),
        ("0005", {}, OutcomeKind.REJECTED, "invalid_destination"),
        ("4242", {"submit_timeouts": 1}, OutcomeKind.UNKNOWN, "provider_timeout"),
        ("4242", {"submit_errors": 1}, OutcomeKind.UNKNOWN, "provider_unavailable"),
    ],
)
def test_submit_turns_each_kind_into_the_outcome_payouts_record(
    sb: RunningSandbox,
    client: RailAdapter,
    last4: str,
    fault: dict[str, int],
    kind: OutcomeKind,
    failure_code: str,
) -> None:
    if fault:
        sb.faults(**fault)

    outcome = client.submit(request_for(last4))

    assert (outcome.kind, outcome.failure_code) == (kind, failure_code)
    assert outcome.provider_reference.startswith("tr_") == (kind is OutcomeKind.ACCEPTED)


def _destination(**changes: object) -> Destination:
    return replace(request_for().destination, **changes)


@pytest.mark.parametrize(
    "destination",
    [
        _destination(country="USA"),
        _destination(currency="usd"),
        _destination(holder_name=""),
        _destination(holder_name="x" * 141),
        _destination(details={"routing_number": "021000021"}),
        _destination(details={"account_number": ""}),
    ],
)
def test_destination_validate_refuses_what_the_provider_refuses(
    sb: RunningSandbox, client: RailAdapter, destination: Destination
) -> None:
    request = replace(request_for(), destination=destination)

    with pytest.raises(TerminalNoMoneyMoved) as raised:
        client.destination_validate(destination)
    outcome = client.submit(request)

    assert raised.value.failure_code == "invalid_destination"
    assert outcome.kind is OutcomeKind.REJECTED  # the provider agrees: refused, nothing stored
    assert sb.accepted_count(request.idempotency_key) == 0


def test_destination_validate_passes_what_the_provider_accepts(client: RailAdapter) -> None:
    for field in IDENTIFIER_FIELDS:
        destination = _destination(details={field: "ada4242"})
        client.destination_validate(destination)
        outcome = client.submit(replace(request_for(), destination=destination))
        assert outcome.kind is OutcomeKind.ACCEPTED, field
    assert IDENTIFIER_FIELDS == SERVER_IDENTIFIER_FIELDS


def test_quote_says_fee_and_arrival_per_speed(client: RailAdapter) -> None:
    standard = client.quote(amount_minor=1250, currency="USD", speed="standard")
    instant = client.quote(amount_minor=1250, currency="USD", speed="instant")

    assert (standard.fee_minor, standard.speed, standard.arrival.total_seconds()) == (
        0,
        "standard",
        24 * 3600,
    )
    assert (instant.fee_minor, instant.arrival.total_seconds()) == (0, 0)
    with pytest.raises(TerminalNoMoneyMoved) as raised:
        client.quote(amount_minor=1250, currency="USD", speed="overnight")
    assert raised.value.failure_code == "invalid_request"


def test_callback_events_reads_what_the_provider_signs(sb: RunningSandbox) -> None:
    client = sb.client()
    reference = client.transfer_create(request_for())
    sb.settle_now()
    events, _ = client.events_after(0)
    ours = [e for e in events if e.transfer.provider_reference == reference]
    body = json.dumps(
        {
            "events": [
                {
                    "id": ours[0].event_id,
                    "sequence": ours[0].sequence,
                    "transfer": {
                        "id": reference,
                        "idempotency_key": ours[0].transfer.idempotency_key,
                        "status": "paid",
                        "amount_minor": 1250,
                        "currency": "USD",
                    },
                }
            ]
        }
    ).encode()
    header = signature_header(secret=sb.webhook_secret, body=body, timestamp=int(time.time()))

    parsed = client.callback_events(body=body, headers={"Sandbox-Signature": header})

    assert [(e.event_id, e.transfer.status) for e in parsed] == [
        (ours[0].event_id, TransferStatus.PAID)
    ]
    with pytest.raises(InvalidSignature):
        client.callback_events(body=body, headers={})
    forged = signature_header(secret="whsec_other", body=body, timestamp=int(time.time()))
    with pytest.raises(InvalidSignature):
        client.callback_events(body=body, headers={"Sandbox-Signature": forged})


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (409, "request_in_progress"),
        (409, ""),
        (413, ""),
        (400, "bad_request"),
        (422, "some_new_code"),
        (404, "not_found"),
        (429, "rate_limited"),
    ],
)
def test_only_an_answer_the_provider_defines_as_not_executed_is_terminal(
    status: int, code: str
) -> None:
    """A 409 (request in progress), a 413, and any 4xx the provider does not document as "not
    executed" may hide a stored transfer: outcome unknown, resolved by key, never a refusal."""
    body = json.dumps({"error": {"code": code, "message": "m"}}).encode() if code else b"x"
    error = _submit_error(HttpAnswer(status, body))
    assert (type(error), error.status_code) == (OutcomeUnknown, status)
    assert error.money_may_have_moved is True


@pytest.mark.parametrize(
    ("status", "code", "failure_code"),
    [
        (422, "invalid_destination", "invalid_destination"),
        (422, "validation_error", "invalid_request"),
        (422, "limit_exceeded", "limit_exceeded"),
        (400, "idempotency_key_missing", "invalid_request"),
    ],
)
def test_the_providers_not_executed_answers_are_terminal(
    status: int, code: str, failure_code: str
) -> None:
    body = json.dumps({"error": {"code": code, "message": "m"}}).encode()
    error = _submit_error(HttpAnswer(status, body))
    assert (type(error), error.failure_code) == (TerminalNoMoneyMoved, failure_code)


def test_0012_answers_409_but_stores_and_executes_the_transfer(
    sb: RunningSandbox, client: RailAdapter
) -> None:
    request = request_for("0012")

    with pytest.raises(OutcomeUnknown) as raised:
        client.transfer_create(request)

    assert (raised.value.status_code, raised.value.failure_code) == (409, "request_in_progress")
    assert sb.accepted_count(request.idempotency_key) == 1  # stored and executing
    found = client.transfer_by_key(request.idempotency_key)
    assert found is not None
    assert client.transfer_create(request) == found.provider_reference  # a replay: 200
    assert sb.accepted_count(request.idempotency_key) == 1
    sb.settle_now()
    assert client.transfer_by_key(request.idempotency_key).status is TransferStatus.PAID


def test_0013_is_reported_failed_and_later_paid(sb: RunningSandbox, client: RailAdapter) -> None:
    request = request_for("0013")
    reference = client.transfer_create(request)
    start = client.events_after(0)[0]
    after = max((e.sequence for e in start), default=0)

    sb.settle_now(returns=False)
    assert client.transfer_get(reference).status is TransferStatus.FAILED
    sb.settle_now()  # the bank changes its mind: the "return" step pays it after all
    assert client.transfer_get(reference).status is TransferStatus.PAID

    mine = [e for e in client.events_after(after)[0] if e.transfer.provider_reference == reference]
    assert [e.transfer.status for e in mine] == [TransferStatus.FAILED, TransferStatus.PAID]
    assert mine[0].transfer.failure_code and not mine[1].transfer.failure_code
