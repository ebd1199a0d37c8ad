"""Magic destination values: how each one makes a transfer settle, fail, return or misbehave."""

from __future__ import annotations

import time

import pytest

from rails.failures import FAILURE_CODES, failure_for_ach, failure_for_iso
from rails.providers.base import RailAdapter
from rails.types import OutcomeKind, TransferStatus
from sandbox.magic import ACH_FAILURE_CODES, MAGIC_PLANS, magic_value
from tests.sandbox.support import events_of, request_for, status_of, wait_for
from tests.sandbox_process import RunningSandbox


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
    client: RailAdapter,
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
    client: RailAdapter, last4: str, failure_code: str, raw_code: str
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
    sb: RunningSandbox, client: RailAdapter
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
    sb: RunningSandbox, client: RailAdapter
) -> None:
    request = request_for("0005")

    outcome = client.submit(request)

    assert (outcome.kind, outcome.failure_code) == (OutcomeKind.REJECTED, "invalid_destination")
    assert outcome.provider_reference == ""
    assert client.transfer_by_key(request.idempotency_key) is None
    assert sb.accepted_count(request.idempotency_key) == 0
    assert sb.submit_count(request.idempotency_key) == 1


def test_magic_0006_answers_500_once_without_storing_then_works(
    sb: RunningSandbox, client: RailAdapter
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


def test_magic_0007_settles_ten_times_slower(client: RailAdapter) -> None:
    slow = client.submit(request_for("0007")).provider_reference
    normal = client.submit(request_for("4242")).provider_reference

    wait_for(lambda: status_of(client, normal) == TransferStatus.PAID)
    time.sleep(0.6)  # 3 x the normal latency, well under 10 x

    assert status_of(client, slow) == TransferStatus.PROCESSING
    wait_for(lambda: status_of(client, slow) == TransferStatus.PAID)


def test_the_failure_codes_the_sandbox_sends_are_the_platforms() -> None:
    """The sandbox names the normalised codes itself (it imports nothing of the platform); each
    must be the one rails.failures gives its raw code."""
    for raw, code in ACH_FAILURE_CODES.items():
        assert failure_for_ach(raw).code == code
    for plan in MAGIC_PLANS.values():
        if plan.raw_code.startswith("R"):
            assert plan.failure_code == failure_for_ach(plan.raw_code).code
        elif plan.raw_code == "AC04":
            assert plan.failure_code == failure_for_iso(plan.raw_code).code
        assert plan.failure_code == "" or plan.failure_code in FAILURE_CODES
