"""Provider callbacks: signed, stored once per event, applied exactly once in the provider's
order, whatever order and however many times they arrive."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from payouts.execution.models import ProviderEvent
from payouts.lifecycle.models import Payout
from sandbox.callbacks import signature_header
from tests.support.payouts import (
    Running,
    balances,
    bank_method,
    earn,
    entry_kinds,
    fund,
    pay,
    status_of,
    sweeping,
    transitions,
    verify_clean,
    wait_for,
)
from tests.workers import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)


def _post(running: Running, events: list[dict], secret: str | None = None) -> httpx.Response:
    body = json.dumps({"events": events}).encode()
    header = signature_header(
        secret=secret or running.sandbox.webhook_secret, body=body, timestamp=int(time.time())
    )
    return httpx.post(
        running.callback_url,
        content=body,
        headers={"Sandbox-Signature": header, "Content-Type": "application/json"},
        timeout=10,
    )


def test_duplicate_and_out_of_order_callbacks_change_nothing_twice(
    platform, make_payee, running: Running
) -> None:
    running.sandbox.faults(callbacks_paused=True, duplicate_callbacks=True)
    payee = make_payee()
    method = bank_method(platform, payee, "000123450002")  # paid, then returned R01
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    with celery_worker():
        payout = pay(platform, payee, method, "40.00")
        wait_for(lambda: status_of(payout.id) == "processing", what="processing")
        feed = running.sandbox.http.get("/v1/events", params={"after": 0}).json()["data"]
        while len(feed) < 2:
            running.sandbox.settle_now(returns=True)
            time.sleep(0.2)
            feed = running.sandbox.http.get("/v1/events", params={"after": 0}).json()["data"]
        assert [e["type"] for e in feed] == ["transfer.paid", "transfer.returned"]

        # A forged or tampered callback is refused and stores nothing.
        assert _post(running, list(reversed(feed)), secret="not-the-secret").status_code == 401
        assert ProviderEvent.objects.count() == 0

        # The return first, then everything again: a return settles first, then returns.
        assert _post(running, [feed[1]]).status_code == 200
        assert _post(running, list(reversed(feed))).status_code == 200
        assert _post(running, feed + feed).status_code == 200
        wait_for(lambda: status_of(payout.id) == "returned", what="returned")

        # Now the provider's own (duplicated) deliveries arrive as well.
        running.sandbox.faults(callbacks_paused=False)
        time.sleep(3)
        wait_for(
            lambda: not ProviderEvent.objects.filter(processed_at__isnull=True).exists(),
            what="every event applied",
        )

    assert ProviderEvent.objects.count() == 2  # one row per provider event, however delivered
    assert transitions(Payout.objects.get(pk=payout.id))[-3:] == [
        ("scheduled", "processing"),
        ("processing", "paid"),
        ("paid", "returned"),
    ]
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.settle", "payout.return"]
    assert balances(platform, payee) == {
        "available": "99.75",
        "held": "0.00",
        "in_transit": "0.00",
        "fees": "0.25",
        "cash": "1000.00",
        "funding": "900.00",
    }
    verify_clean(platform)


def test_malformed_callback_bodies_are_refused(running: Running, db) -> None:
    # Correctly signed, but not a batch of events: 400.
    for body in (b"", b"not json", b"[]", b'{"events": "x"}', b'{"events": [{"id": 1}]}'):
        header = signature_header(
            secret=running.sandbox.webhook_secret, body=body, timestamp=int(time.time())
        )
        response = httpx.post(
            running.callback_url, content=body, headers={"Sandbox-Signature": header}, timeout=10
        )
        assert response.status_code == 400, body
    stale = signature_header(
        secret=running.sandbox.webhook_secret,
        body=b'{"events": []}',
        timestamp=int(time.time()) - 3600,
    )
    response = httpx.post(
        running.callback_url,
        content=b'{"events": []}',
        headers={"Sandbox-Signature": stale},
        timeout=10,
    )
    assert response.status_code == 401
    assert ProviderEvent.objects.count() == 0


def test_without_callbacks_the_event_feed_settles_payouts(
    platform, make_payee, running: Running
) -> None:
    """Callbacks never arrive (paused at the provider): the sweeper notices accepted attempts
    that heard nothing and reads the provider's event feed instead."""
    running.sandbox.faults(callbacks_paused=True)
    payee = make_payee()
    method = bank_method(platform, payee, "000123450002")  # paid, then returned
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    with celery_worker(env={"PAYOUTS_POLL_AFTER_S": "1"}):
        payout = pay(platform, payee, method, "40.00")
        wait_for(
            sweeping(lambda: status_of(payout.id) == "returned"),
            timeout_s=60,
            what="returned by polling",
        )
    assert set(ProviderEvent.objects.values_list("source", flat=True)) == {"poll"}
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.settle", "payout.return"]
    verify_clean(platform)
