"""Payout schedules: setting one (checked as a payout would be), when each runs next, and the
scheduled run paying out the whole available balance above the minimum."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import DomainError
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.payees.models import PayoutSchedule
from payouts.payees.schedules import schedule_next_run, schedule_set
from payouts.payees.services import method_disable
from payouts.schedules.services import schedules_run
from tests.factories import PayeeFactory, PayoutMethodFactory, PlatformFactory
from tests.support.payouts import balances, bank_method, earn, fund, transitions

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = "user:ops"
UTC = dt.UTC


@pytest.fixture
def plat(db: None):
    platform = PlatformFactory.create()
    fund(platform, "10000.00")
    return platform


@pytest.fixture
def payee_with(plat, make_payee):
    def make(available: str):
        payee = make_payee(platform=plat)
        method = bank_method(plat, payee)
        if available != "0.00":
            earn(plat, payee, available)
        return payee, method

    return make


def _set(plat, payee, method, frequency="daily", minimum="50.00", **extra):
    args = {
        "platform": plat,
        "payee_id": payee.id,
        "method_id": method.id,
        "currency": "USD",
        "frequency": frequency,
        "minimum": minimum,
        "actor": ACTOR,
    } | extra
    return schedule_set(**args)


@pytest.mark.parametrize(
    ("frequency", "after", "expected"),
    [
        ("daily", dt.datetime(2026, 3, 4, 15, 30, tzinfo=UTC), dt.datetime(2026, 3, 5, tzinfo=UTC)),
        ("daily", dt.datetime(2026, 12, 31, 0, 0, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)),
        # 2026-03-04 is a Wednesday; a Monday at midnight moves on a whole week.
        (
            "weekly",
            dt.datetime(2026, 3, 4, 15, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 9, tzinfo=UTC),
        ),
        ("weekly", dt.datetime(2026, 3, 9, 0, 0, tzinfo=UTC), dt.datetime(2026, 3, 16, tzinfo=UTC)),
        (
            "weekly",
            dt.datetime(2026, 3, 8, 23, 59, tzinfo=UTC),
            dt.datetime(2026, 3, 9, tzinfo=UTC),
        ),
        (
            "monthly",
            dt.datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
            dt.datetime(2026, 2, 1, tzinfo=UTC),
        ),
        (
            "monthly",
            dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
            dt.datetime(2027, 1, 1, tzinfo=UTC),
        ),
        # 23:30 in New York on the 31st is already the 1st in UTC.
        (
            "monthly",
            dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            dt.datetime(2026, 3, 1, tzinfo=UTC),
        ),
    ],
)
def test_next_run(frequency, after, expected) -> None:
    assert schedule_next_run(frequency, after) == expected


def test_set_creates_then_updates_one_schedule_per_currency(plat, payee_with) -> None:
    ada, method = payee_with("0.00")
    before = dt.datetime.now(UTC)
    schedule = _set(plat, ada, method, frequency="weekly", minimum="25.00")

    assert (schedule.frequency, schedule.minimum_minor, schedule.is_active) == (
        "weekly",
        2500,
        True,
    )
    assert schedule.next_run_at == schedule_next_run("weekly", before)
    assert schedule.last_run_at is None

    again = _set(plat, ada, method, frequency="weekly", minimum="0")
    assert (again.id, again.minimum_minor, again.next_run_at) == (
        schedule.id,
        0,
        schedule.next_run_at,
    )
    monthly = _set(plat, ada, method, frequency="monthly", minimum="10.00")
    assert (monthly.id, monthly.next_run_at) == (schedule.id, schedule_next_run("monthly", before))
    assert PayoutSchedule.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"frequency": "hourly"}, "invalid_input"),
        ({"frequency": "manual"}, "invalid_input"),
        ({"minimum": "-1.00"}, "invalid_amount"),
        ({"minimum": "1.001"}, "invalid_amount"),
        ({"minimum": 1.5}, "invalid_amount"),
        ({"currency": "EUR"}, "currency_mismatch"),
        ({"currency": "GBP"}, "unsupported_currency"),
        ({"payee_id": 10**9}, "payee_not_found"),
        ({"method_id": 10**9}, "payout_method_not_found"),
        ({"method_id": "1"}, "payout_method_not_found"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(plat, payee_with, change, code) -> None:
    ada, method = payee_with("0.00")
    with pytest.raises(DomainError) as caught:
        _set(plat, ada, method, **change)
    assert caught.value.code == code
    assert PayoutSchedule.objects.count() == 0


def test_another_payees_or_a_disabled_method_is_refused(plat, payee_with) -> None:
    ada, ada_method = payee_with("0.00")
    bob, bob_method = payee_with("0.00")
    with pytest.raises(DomainError) as caught:
        _set(plat, ada, bob_method)
    assert caught.value.code == "payout_method_not_found"
    method_disable(platform=plat, payee_id=ada.id, method_id=ada_method.id, actor=ACTOR)
    with pytest.raises(DomainError) as caught:
        _set(plat, ada, ada_method)
    assert caught.value.code == "payout_method_not_usable"
    assert PayoutSchedule.objects.count() == 0


def test_a_due_schedule_pays_out_the_whole_available_balance(plat, payee_with) -> None:
    ada, method = payee_with("120.00")
    schedule = _set(plat, ada, method, minimum="50.00")
    now = schedule.next_run_at + dt.timedelta(minutes=5)

    assert schedules_run(now=now) == 1

    payout = Payout.objects.get(payee=ada)
    assert (payout.amount_minor, payout.fee_minor, payout.net_minor) == (12000, 25, 11975)
    assert (payout.status, payout.created_by, payout.method_id) == (
        "scheduled",
        "system:schedule",
        method.id,
    )
    assert transitions(payout) == [("", "pending"), ("pending", "scheduled")]
    assert (balances(plat, ada)["available"], balances(plat, ada)["held"]) == ("0.00", "120.00")
    schedule.refresh_from_db()
    assert schedule.last_run_at == now
    assert schedule.next_run_at == schedule_next_run("daily", now)
    assert schedule.next_run_at > now

    # Not due again until then: a second run finds nothing.
    assert schedules_run(now=now + dt.timedelta(hours=1)) == 0
    assert Payout.objects.count() == 1


def test_below_the_minimum_nothing_is_paid_and_the_schedule_moves_on(plat, payee_with) -> None:
    ada, method = payee_with("30.00")
    bob, bob_method = payee_with("0.00")
    low = _set(plat, ada, method, minimum="50.00")
    empty = _set(plat, bob, bob_method, minimum="0.00")
    now = max(low.next_run_at, empty.next_run_at) + dt.timedelta(seconds=1)

    assert schedules_run(now=now) == 2

    assert Payout.objects.count() == PayoutTransition.objects.count() == 0
    assert balances(plat, ada)["available"] == "30.00"
    for schedule in (low, empty):
        schedule.refresh_from_db()
        assert (schedule.last_run_at, schedule.next_run_at) == (
            now,
            schedule_next_run("daily", now),
        )


def test_a_schedule_not_yet_due_is_untouched(plat, payee_with) -> None:
    ada, method = payee_with("100.00")
    schedule = _set(plat, ada, method, frequency="monthly", minimum="1.00")
    before = PayoutSchedule.objects.values().get(pk=schedule.pk)

    assert schedules_run(now=schedule.next_run_at - dt.timedelta(seconds=1)) == 0

    assert PayoutSchedule.objects.values().get(pk=schedule.pk) == before
    assert Payout.objects.count() == 0
    assert balances(plat, ada)["available"] == "100.00"


def test_one_schedule_that_cannot_pay_does_not_stop_the_others(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    bob, bob_method = payee_with("0.20")  # less than the 0.25 fee
    cy, cy_method = payee_with("40.00")
    dan, dan_method = payee_with("60.00")
    schedules = [
        _set(plat, ada, ada_method, minimum="1.00"),
        _set(plat, bob, bob_method, minimum="0.00"),
        _set(plat, cy, cy_method, minimum="1.00"),
    ]
    method_disable(platform=plat, payee_id=ada.id, method_id=ada_method.id, actor=ACTOR)
    paused = _set(plat, dan, dan_method, minimum="1.00")
    PayoutSchedule.objects.filter(pk=paused.pk).update(is_active=False)
    paused_before = PayoutSchedule.objects.values().get(pk=paused.pk)
    now = max(s.next_run_at for s in schedules) + dt.timedelta(seconds=1)

    assert schedules_run(now=now) == 3

    assert list(Payout.objects.values_list("payee_id", "amount_minor", "status")) == [
        (cy.id, 4000, "scheduled")
    ]
    assert (balances(plat, cy)["available"], balances(plat, cy)["held"]) == ("0.00", "40.00")
    assert balances(plat, ada)["available"] == "100.00"
    assert balances(plat, bob)["available"] == "0.20"
    assert balances(plat, dan)["available"] == "60.00"
    for schedule in schedules:
        schedule.refresh_from_db()
        assert (schedule.last_run_at, schedule.next_run_at) == (
            now,
            schedule_next_run("daily", now),
        )
    assert PayoutSchedule.objects.values().get(pk=paused.pk) == paused_before


@pytest.mark.django_db(transaction=True)
def test_a_platforms_default_schedule_applies_to_a_payees_first_method() -> None:
    platform = PlatformFactory.create(currencies=["USD"], default_schedule="weekly")
    payee = PayeeFactory.create(platform=platform, external_id="w-1", legal_name="Ada")
    first = PayoutMethodFactory.create(payee=payee, actor="user:a")
    PayoutMethodFactory.create(payee=payee, actor="user:a")
    schedule = PayoutSchedule.objects.get(payee=payee)
    assert (schedule.frequency, schedule.currency, schedule.minimum_minor, schedule.method_id) == (
        "weekly",
        "USD",
        0,
        first.id,
    )
    assert schedule.next_run_at.weekday() == 0  # next Monday, 00:00 UTC
