"""One attempt that cannot be sent stalls nothing else: a failure of our own in one attempt (a
secret that no longer decrypts, a rail with no adapter, anything) is that attempt's alone. After
a bounded number of tries its outbox row is set aside with an operations exception, and an
operator records the outcome the provider confirmed, with the ledger entry that goes with it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from core.db.names import table
from payouts.exceptions.models import OperationsException
from payouts.execution import operator
from payouts.execution.resolution import attempts_resolve
from payouts.execution.submission import Started, attempts_call, payouts_start_due
from payouts.lifecycle.models import Payout, PayoutAttempt
from payouts.outbox.models import OutboxMessage
from payouts.payees.models import PayoutMethod
from tests.support.payouts import (
    Running,
    balances,
    bank_method,
    earn,
    entry_kinds,
    fund,
    pay,
    status_of,
    verify_clean,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _payouts(platform, make_payee, count: int) -> list[Payout]:
    fund(platform, "1000.00")
    made = []
    with transaction.atomic():
        for n in range(count):
            payee = make_payee()
            earn(platform, payee, "50.00")
            made.append(
                pay(platform, payee, bank_method(platform, payee, f"00012345{n}42"), "20.00")
            )
    return made


def _break_secret(payout: Payout) -> None:
    """The method's stored secret no longer decrypts (a key removed too early, a bad restore)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table(PayoutMethod)} SET secret_encrypted = 'not-a-token' WHERE id = %s",
            [payout.method_id],
        )


def _row(attempt: PayoutAttempt) -> OutboxMessage:
    return OutboxMessage.objects.get(kind="attempt.submit", object_id=attempt.id)


def test_an_attempt_that_cannot_be_built_does_not_stop_its_chunk(platform, make_payee) -> None:
    broken, *others = _payouts(platform, make_payee, 3)
    _break_secret(broken)

    started = payouts_start_due()

    attempts = {a.payout_id: a for a in PayoutAttempt.objects.all()}
    assert sorted(s.attempt_id for s in started) == sorted(attempts[p.id].id for p in others)
    row = _row(attempts[broken.id])
    assert (row.attempts, row.locked_until, row.processed_at) == (1, None, None)
    assert "DecryptionError" in row.last_error


def test_a_call_that_fails_on_our_side_is_unknown_for_that_attempt_alone(
    platform, make_payee, running: Running
) -> None:
    payouts = _payouts(platform, make_payee, 2)
    started = payouts_start_due()
    nowhere = Started(started[0].attempt_id, "no-such-rail", started[0].request)

    outcomes = dict(attempts_call([nowhere, started[1]]))

    assert outcomes[nowhere.attempt_id].kind == "unknown"
    assert outcomes[started[1].attempt_id].kind == "accepted"
    assert len(payouts) == 2


def test_resolving_isolates_each_attempt_then_sets_the_broken_one_aside(
    platform, make_payee, running: Running, settings
) -> None:
    settings.PAYOUTS_OUTBOX_MAX_TRIES = 2
    broken, healthy = _payouts(platform, make_payee, 2)
    payouts_start_due()  # the attempts exist and are leased; nothing reached the provider
    _break_secret(broken)
    attempts = {a.payout_id: a for a in PayoutAttempt.objects.all()}

    attempts_resolve(attempt_ids=[attempts[broken.id].id, attempts[healthy.id].id])

    # The healthy one was found missing at the provider and resubmitted with its own key.
    assert PayoutAttempt.objects.get(pk=attempts[healthy.id].id).status == "accepted"
    assert running.sandbox.accepted_count(attempts[healthy.id].idempotency_key) == 1
    assert _row(attempts[broken.id]).attempts == 1

    attempts_resolve(attempt_ids=[attempts[broken.id].id])  # the second and last try

    row = _row(attempts[broken.id])
    assert row.dead_at is not None and row.processed_at is not None
    (exception,) = OperationsException.objects.filter(kind="dead_letter")
    assert (exception.payout_id, exception.attempt_id, exception.status) == (
        broken.id,
        attempts[broken.id].id,
        "open",
    )
    assert "DecryptionError" in exception.data["error"]

    # The operator checked with the provider (nothing under the key) and fails it.
    assert running.sandbox.accepted_count(attempts[broken.id].idempotency_key) == 0
    operator.attempt_outcome_record(
        attempt_id=attempts[broken.id].id,
        outcome=operator.NOT_EXECUTED,
        actor="user:ops",
        note="the provider has no transfer under this key",
    )
    broken.refresh_from_db()
    assert (broken.status, broken.failure_code) == ("failed", "confirmed_not_executed")
    assert entry_kinds(broken) == ["payout.hold", "payout.submit", "payout.fail"]
    assert balances(platform, broken.payee)["available"] == "50.00"
    verify_clean(platform)


def test_an_operator_records_a_confirmed_payment_once(platform, make_payee) -> None:
    (payout,) = _payouts(platform, make_payee, 1)
    (started,) = payouts_start_due()
    record = {"attempt_id": started.attempt_id, "actor": "user:ops", "note": "seen at the bank"}
    with pytest.raises(Exception, match="say what the provider confirmed"):
        operator.attempt_outcome_record(**{**record, "note": " "}, outcome=operator.PAID)

    operator.attempt_outcome_record(**record, outcome=operator.PAID)

    assert status_of(payout.id) == "paid"
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.settle"]
    with pytest.raises(Exception, match="no open outcome"):
        operator.attempt_outcome_record(**record, outcome=operator.NOT_EXECUTED)
    verify_clean(platform)
