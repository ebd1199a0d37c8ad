"""Webhooks through real Celery workers, laid out as ``make run`` lays them out (the ``webhooks``
queue on a worker of its own), to a real receiver: a payout's events in sequence, a receiver that
fails and then is down loses nothing, repeated tasks send nothing twice, and the docs' example
receiver accepts what we send."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import current_app

from config.celery import app as celery_app
from payouts.payees.services import payee_update
from tests.support.events import fanned_out
from tests.support.payouts import Running, bank_method, earn, fund, pay, wait_for
from tests.webhooks.webhook_receiver import FAIL, Receiver, receiving
from tests.workers import stack_workers
from webhooks import endpoints as webhooks
from webhooks.models import Event, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

# The worker retries fast: 0.2 s, then doubling up to 1 s.
FAST = {"WEBHOOK_RETRY_BASE_S": "0.2", "WEBHOOK_RETRY_MAX_DELAY_S": "1"}
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "webhook_receiver.py"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as started:
        yield started


@pytest.fixture(autouse=True)
def _empty_broker() -> None:
    """No task left over from another test (ids of rows that are gone) delays this one."""
    celery_app.control.purge()


def sweeping(predicate: Callable[[], bool]) -> Callable[[], bool]:
    """``predicate``, sending ``webhooks.sweep`` about twice a second as beat would."""
    last = [0.0]

    def check() -> bool:
        if predicate():
            return True
        if time.monotonic() - last[0] > 0.5:
            current_app.send_task("webhooks.sweep")
            last[0] = time.monotonic()
        return False

    return check


def _endpoint(platform, rcv: Receiver):
    endpoint, secret = webhooks.endpoint_create(platform=platform, url=rcv.url)
    rcv.secrets = [secret]
    return endpoint


def test_a_payouts_events_arrive_numbered_1_2_3(
    platform, make_payee, running: Running, receiver
) -> None:
    endpoint = _endpoint(platform, receiver)
    payee = make_payee()
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    payout = pay(platform, payee, method, "40.00")
    with stack_workers():
        wait_for(
            lambda: any(e["type"] == "payout.paid" for e in receiver.events("payout.")),
            what="payout.paid at the receiver",
        )
        wait_for(
            lambda: not WebhookDelivery.objects.filter(status="pending").exists(),
            what="every delivery done",
        )
    got = sorted(
        (e for e in receiver.events("payout.") if e["object_id"] == payout.id),
        key=lambda e: e["sequence"],
    )
    assert [(e["type"], e["sequence"], e["data"]["status"]) for e in got] == [
        ("payout.created", 1, "scheduled"),
        ("payout.processing", 2, "processing"),
        ("payout.paid", 3, "paid"),
    ]
    assert [e["data"]["ledger_entries"].__len__() for e in got] == [1, 2, 3]
    stored = list(
        Event.objects.filter(object_type="payout", object_id=payout.id)
        .order_by("sequence")
        .values_list("id", "type", "sequence")
    )
    assert [(e["id"], e["type"], e["sequence"]) for e in got] == stored
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert {(d.status, d.attempts, d.last_status_code) for d in deliveries} == {
        ("succeeded", 1, 200)
    }
    # The method added to the payee is an event too: payee.updated #1.
    assert [(e["type"], e["sequence"]) for e in receiver.events("payee.")] == [("payee.updated", 1)]


def test_a_failing_then_unreachable_receiver_loses_nothing(platform, make_payee, receiver) -> None:
    endpoint = _endpoint(platform, receiver)
    receiver.mode = FAIL
    payees = [make_payee() for _ in range(3)]
    for round_ in range(2):
        for payee in payees:
            payee_update(platform=platform, payee_id=payee.id, legal_name=f"Name {round_}")
    event_ids = sorted(Event.objects.values_list("id", flat=True))
    assert len(event_ids) == 6
    fanned_out()
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert deliveries.count() == 6

    def each_has(test: Callable[[WebhookDelivery], bool]) -> Callable[[], bool]:
        return lambda: all(test(d) for d in deliveries.all())

    with stack_workers(env=FAST):
        wait_for(
            sweeping(each_has(lambda d: d.attempt_log.filter(status_code=500).count() >= 2)),
            what="two 500s per delivery",
        )
        receiver.stop()
        wait_for(
            sweeping(each_has(lambda d: d.attempt_log.filter(status_code=None).exists())),
            what="a refused connection per delivery",
        )
        receiver.mode = "ok"
        receiver.start()
        wait_for(sweeping(each_has(lambda d: d.status == "succeeded")), what="all delivered")

    assert sorted(set(receiver.event_ids())) == event_ids  # each at least once, none lost
    assert receiver.rejected == 0
    for delivery in deliveries:
        log = list(delivery.attempt_log.order_by("id"))
        assert [a.number for a in log] == list(range(1, len(log) + 1))
        assert delivery.attempts == len(log)
        assert (log[-1].status_code, log[-1].error, log[-1].response_excerpt) == (200, "", "ok")
        for attempt in log[:-1]:
            assert (attempt.status_code, attempt.error) == (500, "HTTP 500") or (
                attempt.status_code is None and attempt.error == "connection failed"
            )
            assert attempt.latency_ms >= 0
    per_payee = {
        p.id: sorted(e["sequence"] for e in receiver.events() if e["object_id"] == p.id)
        for p in payees
    }
    assert {k: sorted(set(v)) for k, v in per_payee.items()} == {p.id: [1, 2] for p in payees}
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.consecutive_failures) == ("enabled", 0)


def test_repeated_tasks_send_each_delivery_once(platform, make_payee, receiver) -> None:
    _endpoint(platform, receiver)
    payee = make_payee()
    for i in range(3):
        payee_update(platform=platform, payee_id=payee.id, legal_name=f"Name {i}")
    fanned_out()
    ids = sorted(WebhookDelivery.objects.values_list("id", flat=True))
    # Besides the messages sent at commit (fan-out, then delivery): the same ids twice more, and
    # two sweeps.
    for _ in range(2):
        current_app.send_task("webhooks.deliver", args=[ids])
        current_app.send_task("webhooks.sweep")
    with stack_workers():
        wait_for(
            lambda: WebhookDelivery.objects.filter(status="succeeded").count() == 3,
            what="delivered",
        )
        time.sleep(1.5)  # let the duplicate messages run
    assert receiver.requests == 3
    assert sorted(receiver.event_ids()) == sorted(Event.objects.values_list("id", flat=True))
    assert list(WebhookDelivery.objects.order_by("id").values_list("attempts", flat=True)) == [
        1,
        1,
        1,
    ]


def test_the_docs_example_receiver_accepts_and_deduplicates(platform, make_payee) -> None:
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    outcomes: list[tuple[int, str]] = []
    endpoint, secret = webhooks.endpoint_create(platform=platform, url="http://127.0.0.1:1/")
    server = example.make_server(
        "127.0.0.1", 0, [secret], on_event=lambda e, o: outcomes.append((e["id"], o))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        webhooks.endpoint_update(
            platform=platform,
            endpoint_id=endpoint.id,
            url=f"http://127.0.0.1:{server.server_address[1]}/webhooks",
        )
        payee = make_payee()
        payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")
        event = Event.objects.get()
        webhooks.event_redeliver(platform=platform, event_id=event.id)
        with stack_workers():
            wait_for(lambda: len(outcomes) == 2, what="two deliveries")
    finally:
        server.shutdown()
        server.server_close()
    assert outcomes == [(event.id, "applied"), (event.id, "duplicate")]
    assert server.inbox.latest == {("payee", payee.id): (1, event.data)}
