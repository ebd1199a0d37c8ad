"""The sandbox's event feed, reset, and its signed, retried callbacks."""

from __future__ import annotations

import time
from typing import Any

import pytest

from rails.providers.base import InvalidSignature, RailAdapter
from rails.providers.sandbox import verify_callback
from rails.types import TransferStatus
from tests.sandbox.support import (
    CallbackReceiver,
    Delivery,
    events_of,
    redis_url,
    request_for,
    status_of,
    wait_for,
)
from tests.sandbox_process import RunningSandbox, sandbox_server

# --- event feed --------------------------------------------------------------------------------


def test_event_feed_is_ordered_and_pages_by_cursor() -> None:
    with sandbox_server(redis_url=redis_url(), settle_after_ms=0, workers=1) as own:
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
    with sandbox_server(redis_url=redis_url(), workers=1) as own:
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
    sb: RunningSandbox, client: RailAdapter, receiver: CallbackReceiver
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
    sb: RunningSandbox, client: RailAdapter, receiver: CallbackReceiver
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
    sb: RunningSandbox, client: RailAdapter, receiver: CallbackReceiver
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
    sb: RunningSandbox, client: RailAdapter, receiver: CallbackReceiver, via: str
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
