"""Amounts that people type are django-money fields: fee rules' fixed part, minimum and maximum,
and a platform's approval and review thresholds. They are exact in their currency (never
rounded), the fee arithmetic still works in minor units, the admin shows and takes an amount with
its currency, and the migration that brought them converts both ways without losing a unit."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from django.test import Client
from django.urls import reverse
from moneyed import Money

from core.errors import DomainError
from payouts.platforms.amounts import fee_of, fee_rule_get
from payouts.platforms.forms import FeeRuleForm, ThresholdForm
from payouts.platforms.models import FeeRule, Threshold, ThresholdKind
from payouts.platforms.selectors import thresholds_get
from payouts.platforms.services import fee_rule_set, platform_create
from tests.ledger.test_migrations import manage
from tests.scratch_db import scratch

__all__ = ["scratch"]  # the fixture, used by name

pytestmark = pytest.mark.django_db


def test_thresholds_are_money_rows_read_in_minor_units() -> None:
    platform = platform_create(
        name="Thresholds",
        currencies=["USD", "JPY", "BHD"],
        approval_thresholds={"USD": "10000.00", "JPY": Money("5000", "JPY")},
        review_thresholds={"BHD": Decimal("1.234")},
    )
    stored = {(t.kind, t.currency): t.amount for t in Threshold.objects.filter(platform=platform)}
    assert stored == {
        ("approval", "USD"): Money("10000.00", "USD"),
        ("approval", "JPY"): Money("5000", "JPY"),
        ("review", "BHD"): Money("1.234", "BHD"),
    }
    thresholds = thresholds_get(platform_id=platform.id)
    assert thresholds.minor == {
        ("approval", "USD"): 1_000_000,
        ("approval", "JPY"): 5000,
        ("review", "BHD"): 1234,
    }
    assert (
        thresholds.requires_approval("USD", 999_999),
        thresholds.requires_approval("USD", 1_000_000),
    ) == (False, True)
    assert (thresholds.requires_review("BHD", 1234), thresholds.requires_review("USD", 10**12)) == (
        True,
        False,
    )


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"USD": "12.345"}, "more decimals than USD allows"),
        ({"JPY": "1000.5"}, "more decimals than JPY allows"),
        ({"USD": "0"}, "positive"),
        ({"USD": "-5.00"}, "positive"),
        ({"USD": "lots"}, "not a decimal number"),
        ({"XYZ": "10"}, "not an ISO 4217 currency"),
        ({"USD": Money("10", "EUR")}, "in EUR, expected USD"),
    ],
)
def test_a_malformed_threshold_is_refused_naming_its_field(
    thresholds: dict[str, object], message: str
) -> None:
    with pytest.raises(DomainError, match=message) as caught:
        platform_create(name="Bad thresholds", currencies=["USD"], review_thresholds=thresholds)
    assert caught.value.details["field"] == "review_thresholds"
    assert not Threshold.objects.exists()


def test_fee_rules_are_money_and_the_fee_is_computed_in_minor_units() -> None:
    platform = platform_create(name="Fees", currencies=["USD", "JPY"])
    default = fee_rule_get(
        platform_id=platform.id, rail="sandbox", speed="standard", currency="USD"
    )
    assert default is not None
    assert (default.fixed, default.minimum, default.maximum) == (
        Money("0.25", "USD"),
        Money("0.00", "USD"),
        None,
    )
    rule = fee_rule_set(
        platform=platform,
        rail="sandbox",
        speed="instant",
        currency="JPY",
        fixed=Money("30", "JPY"),
        percent="1.5",
        minimum="100",
        maximum="500",
    )
    rule = FeeRule.objects.get(pk=rule.pk)
    assert (rule.fixed, rule.minimum, rule.maximum) == (
        Money("30", "JPY"),
        Money("100", "JPY"),
        Money("500", "JPY"),
    )
    # 30 + 1.5% of 1,000 = 45, raised to the minimum; 30 + 1.5% of 100,000 = 1,530, capped.
    assert (fee_of(rule, 1_000), fee_of(rule, 10_000), fee_of(rule, 100_000)) == (100, 180, 500)
    for field, value in (("fixed", "0.5"), ("minimum", "-1"), ("maximum", Money("5", "USD"))):
        arguments: dict[str, object] = {"fixed": "30", "percent": "1", field: value}
        with pytest.raises(DomainError):
            fee_rule_set(
                platform=platform, rail="sandbox", speed="instant", currency="JPY", **arguments
            )
    assert FeeRule.objects.get(pk=rule.pk).fixed == Money("30", "JPY")  # nothing changed


def _threshold_form(platform_id: int, amount: str, currency: str) -> ThresholdForm:
    return ThresholdForm(
        data={"kind": ThresholdKind.APPROVAL, "amount_0": amount, "amount_1": currency},
        instance=Threshold(platform_id=platform_id),
    )


def test_the_admin_forms_take_an_amount_with_its_currency_and_never_round() -> None:
    platform = platform_create(name="Admin money", currencies=["USD"])
    good = _threshold_form(platform.id, "2500.00", "USD")
    assert good.is_valid(), good.errors
    assert good.save().amount == Money("2500.00", "USD")

    assert "more decimals than USD allows" in str(
        _threshold_form(platform.id, "1.001", "USD").errors
    )
    assert "positive" in str(_threshold_form(platform.id, "0", "USD").errors)
    assert "works in USD, not EUR" in str(_threshold_form(platform.id, "10", "EUR").errors)

    rule = FeeRule.objects.get(platform=platform, speed="standard")
    mixed = FeeRuleForm(
        data={
            "rail": "sandbox",
            "speed": "standard",
            "fixed_0": "0.30",
            "fixed_1": "USD",
            "percent": "0",
            "minimum_0": "0.10",
            "minimum_1": "EUR",
            "maximum_0": "",
            "maximum_1": "USD",
        },
        instance=rule,
    )
    assert "one currency, not EUR and USD" in str(mixed.errors)
    assert Threshold.objects.filter(platform=platform).count() == 1


def test_the_platform_page_shows_thresholds_and_fee_rules_as_money(admin_client: Client) -> None:
    platform = platform_create(
        name="Admin page", currencies=["USD"], approval_thresholds={"USD": "5000.00"}
    )
    page = admin_client.get(reverse("admin:payouts_platform_change", args=[platform.id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="thresholds-0-amount_0" value="5000.0000"' in html
    assert 'name="fee_rules-0-fixed_0"' in html and 'name="fee_rules-0-fixed_1"' in html


# A platform as payouts 0006 stored it: fee parts in minor units, thresholds as JSON maps.
OLD_ROWS = """
INSERT INTO payouts_platform
  (id, name, code, book_id, currencies, fee_bearer, approval_thresholds, review_thresholds,
   default_schedule, created)
VALUES (1, 'Old', 'old', 991, '{USD,JPY,BHD}', 'payee', '{"USD": "10000.00", "JPY": "5000"}',
        '{"BHD": "1.234"}', 'manual', now());
INSERT INTO payouts_feerule
  (platform_id, rail, speed, currency, fixed_minor, percent, minimum_minor, maximum_minor)
VALUES (1, 'sandbox', 'standard', 'USD', 25, 0, 0, NULL),
       (1, 'sandbox', 'instant', 'JPY', 50, 1.0, 10, 900),
       (1, 'sandbox', 'standard', 'BHD', 1234, 0.5, 1, 99999);
"""
OLD_FEES = (
    "SELECT currency, fixed_minor, minimum_minor, maximum_minor FROM payouts_feerule ORDER BY id"
)
OLD_THRESHOLDS = "SELECT approval_thresholds, review_thresholds FROM payouts_platform"


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def test_the_money_migration_converts_both_ways_exactly(scratch) -> None:
    url = scratch("money_mig")
    manage(url, "migrate", "payouts", "0006", "--verbosity=0")
    with psycopg.connect(url) as conn:
        conn.execute(OLD_ROWS)
    fees, thresholds = _rows(url, OLD_FEES), _rows(url, OLD_THRESHOLDS)

    manage(url, "migrate", "--verbosity=0")
    assert _rows(
        url, "SELECT currency, fixed, minimum, maximum FROM payouts_feerule ORDER BY id"
    ) == [
        ("USD", Decimal("0.25"), Decimal("0"), None),
        ("JPY", Decimal("50"), Decimal("10"), Decimal("900")),
        ("BHD", Decimal("1.234"), Decimal("0.001"), Decimal("99.999")),
    ]
    assert sorted(_rows(url, "SELECT kind, currency, amount FROM payouts_threshold")) == [
        ("approval", "JPY", Decimal("5000")),
        ("approval", "USD", Decimal("10000")),
        ("review", "BHD", Decimal("1.234")),
    ]

    manage(url, "migrate", "payouts", "0006", "--verbosity=0")
    assert (_rows(url, OLD_FEES), _rows(url, OLD_THRESHOLDS)) == (fees, thresholds)


def test_the_money_migration_stops_at_a_malformed_threshold_and_names_it(scratch) -> None:
    url = scratch("money_bad")
    manage(url, "migrate", "payouts", "0006", "--verbosity=0")
    with psycopg.connect(url) as conn:
        conn.execute(OLD_ROWS.replace('"1.234"', '"1.2345"'))
    with pytest.raises(
        AssertionError, match=r"old review_thresholds\['BHD'\]: 1.2345 is not an exact"
    ):
        manage(url, "migrate", "--verbosity=0")
    assert _rows(url, "SELECT count(*) FROM payouts_feerule WHERE fixed_minor = 25") == [(1,)]
