"""The fault drill: many payouts through the sandbox with the awkward magic values mixed in, two
workers SIGKILLed during the run, and the broker's queues flushed once. Every payout must end in
exactly one final state, the provider must have accepted each key at most once, each payout the
bank paid after failing (0013) must have one open exception, and the ledger must verify.

It takes minutes, so it runs only when asked:

    FAULT_DRILL=1000 .venv/bin/pytest -s tests/payouts/execution/test_fault_drill.py

(the number is how many payouts; the summary is printed at the end).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from contextlib import ExitStack

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import transaction

from payouts.exceptions.models import OperationsException
from payouts.lifecycle.models import Payout, PayoutAttempt
from tests.support.payouts import Running, bank_method, earn, fund, pay, verify_clean
from tests.workers import celery_worker

COUNT = int(os.environ.get("FAULT_DRILL", "0") or 0)
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not COUNT, reason="the fault drill runs with FAULT_DRILL=<payouts>"),
]
# One in twenty of each: a hung first answer, a 500 then success, a 409 that was executed,
# failed-then-paid. The rest settle normally.
MAGIC = {0: "0003", 1: "0006", 2: "0012", 3: "0013"}
ENV = {"PROVIDER_TIMEOUT_S": "1", "PAYOUTS_OUTBOX_LEASE_S": "2", "PAYOUTS_POLL_AFTER_S": "3"}
BROKER_KEYS = ("default", "ledger", "payouts", "webhooks", "unacked", "unacked_index")


def _wave(platform, make_payee, start: int, made: dict[int, str]) -> None:
    """Payouts ``start`` to ``start + 99`` in one transaction (the workers take them at once)."""
    with transaction.atomic():
        for n in range(start, min(start + 100, COUNT)):
            magic = MAGIC.get(n % 20, "")
            payee = make_payee()
            earn(platform, payee, "25.00")
            account = f"0009{n:04d}{magic or '4242'}"
            payout = pay(platform, payee, bank_method(platform, payee, account), "20.00")
            made[payout.id] = magic


def _flush_broker() -> int:
    """Drop every queued and unacknowledged task message (the sandbox's own keys stay)."""
    broker = redis.Redis.from_url(str(settings.REDIS_URL))
    doomed = [
        key
        for key in broker.scan_iter(count=1000)
        if key.decode(errors="replace").split("\x06\x16")[0] in BROKER_KEYS
    ]
    return broker.delete(*doomed) if doomed else 0


def _done(made: dict[int, str]) -> int:
    return Payout.objects.filter(pk__in=made, status__in=("paid", "failed")).count()


def test_the_fault_drill(platform, make_payee, running: Running) -> None:
    started = time.monotonic()
    fund(platform, f"{COUNT * 30}.00")
    made: dict[int, str] = {}
    log: list[str] = []
    waves = list(range(0, COUNT, 100))
    # The faults land while payouts are still being created and paid: after a quarter, half
    # and three quarters of the waves.
    chaos = {len(waves) // 4: "kill", len(waves) // 2: "flush", 3 * len(waves) // 4: "kill"}
    with ExitStack() as stack:
        workers = [stack.enter_context(celery_worker(env=ENV)) for _ in range(2)]
        for number, start in enumerate(waves):
            _wave(platform, make_payee, start, made)
            current_app.send_task("payouts.sweep")  # beat's job in the running stack
            action = chaos.pop(number, None)
            ended = _done(made)
            if action == "kill":
                victim = workers.pop(0)
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=30)
                log.append(f"SIGKILLed a worker with {len(made)} created, {ended} ended")
                workers.append(stack.enter_context(celery_worker(env=ENV)))
            elif action == "flush":
                flushed = _flush_broker()
                log.append(f"flushed {flushed} broker keys with {len(made)} created, {ended} ended")
        deadline = time.monotonic() + 900
        last_sweep = 0.0
        while True:
            done = _done(made)
            quiet_0013 = OperationsException.objects.filter(
                payout_id__in=[p for p, m in made.items() if m == "0013"]
            ).count()
            if done == len(made) and quiet_0013 >= list(made.values()).count("0013"):
                break
            assert time.monotonic() < deadline, f"drill stuck at {done}/{len(made)}: {log}"
            if time.monotonic() - last_sweep > 1:  # beat's job in the running stack
                current_app.send_task("payouts.sweep")
                last_sweep = time.monotonic()
            time.sleep(0.2)
    elapsed = time.monotonic() - started
    assert not chaos, f"the run ended before every fault was injected: {log}"

    statuses = dict(Payout.objects.filter(pk__in=made).values_list("id", "status"))
    expected = {p: ("failed" if magic == "0013" else "paid") for p, magic in made.items()}
    assert statuses == expected
    accepted = running.sandbox.stats(by_key=True)["accepted_by_key"]
    keys = list(
        PayoutAttempt.objects.filter(payout_id__in=made).values_list("idempotency_key", flat=True)
    )
    assert max(accepted.get(key, 0) for key in keys) <= 1
    assert (
        Counter(
            PayoutAttempt.objects.filter(payout_id__in=made).values_list("payout_id", flat=True)
        ).most_common(1)[0][1]
        == 1
    )
    exceptions = Counter(
        OperationsException.objects.filter(status="open").values_list("payout_id", "kind")
    )
    assert exceptions == Counter(
        {(p, "paid_after_final"): 1 for p, m in made.items() if m == "0013"}
    )
    verify_clean(platform)
    summary = Counter(statuses.values())
    log.append(
        f"{len(made)} payouts in {elapsed:.0f} s: {dict(summary)}; provider accepted each key at "
        f"most once; {sum(exceptions.values())} open exceptions, one per 0013; ledger verified"
    )
    print("\n".join(["", "fault drill:", *log]))  # noqa: T201 - the drill's report
