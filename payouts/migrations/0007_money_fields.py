"""Amounts that people type become django-money fields.

A fee rule's fixed part, minimum and maximum move from integer minor units to decimal amounts in
the rule's currency, and a platform's approval and review thresholds move from two JSON maps
({"USD": "10000.00"}) to rows of ``payouts_threshold``. Both directions are exact: minor units
convert with the currency's ISO 4217 exponent, and a threshold that is not a positive amount with
at most that many decimals stops the migration, naming it, rather than being guessed at.
"""

from decimal import Decimal

import django.db.models.deletion
import djmoney.models.fields
import moneyed
from django.db import migrations, models


FEE_AMOUNTS = (("fixed", "fixed_minor"), ("minimum", "minimum_minor"), ("maximum", "maximum_minor"))
KINDS = (("approval", "approval_thresholds"), ("review", "review_thresholds"))


def _exponent(currency: str) -> int:
    # Written out here (not imported) so that this migration never changes.
    return len(str(moneyed.get_currency(currency).sub_unit)) - 1


def _exact_minor(amount: Decimal, currency: str, what: str) -> int:
    scaled = amount.scaleb(_exponent(currency))
    if not amount.is_finite() or scaled != scaled.to_integral_value():
        raise ValueError(f"{what}: {amount} is not an exact amount in {currency}; correct it first")
    return int(scaled)


def forward(apps, schema_editor):
    FeeRule = apps.get_model("payouts", "FeeRule")
    Platform = apps.get_model("payouts", "Platform")
    Threshold = apps.get_model("payouts", "Threshold")
    db = schema_editor.connection.alias  # the connection migrating (the owner's)
    for rule in FeeRule.objects.using(db).all():
        exponent = _exponent(rule.currency)
        changes = {}
        for money, minor in FEE_AMOUNTS:
            value = getattr(rule, minor)
            changes[money] = None if value is None else Decimal(value).scaleb(-exponent)
        FeeRule.objects.using(db).filter(pk=rule.pk).update(**changes)
    for platform in Platform.objects.using(db).all():
        for kind, column in KINDS:
            for currency, raw in sorted(getattr(platform, column).items()):
                what = f"platform {platform.code} {column}[{currency!r}]"
                try:
                    amount = Decimal(str(raw).strip())
                    minor = _exact_minor(amount, str(currency), what)
                except (ArithmeticError, moneyed.CurrencyDoesNotExist):
                    raise ValueError(f"{what}: {raw!r} is not an amount; correct it first") from None
                if minor <= 0:
                    raise ValueError(f"{what}: {raw!r} is not positive; correct it first")
                Threshold.objects.using(db).create(
                    platform_id=platform.pk, kind=kind, currency=currency, amount=amount
                )


def backward(apps, schema_editor):
    FeeRule = apps.get_model("payouts", "FeeRule")
    Platform = apps.get_model("payouts", "Platform")
    Threshold = apps.get_model("payouts", "Threshold")
    db = schema_editor.connection.alias  # the connection migrating (the owner's)
    for rule in FeeRule.objects.using(db).all():
        changes = {}
        for money, minor in FEE_AMOUNTS:
            value = getattr(rule, money)
            what = f"fee rule {rule.pk} {money}"
            changes[minor] = None if value is None else _exact_minor(value.amount, rule.currency, what)
        FeeRule.objects.using(db).filter(pk=rule.pk).update(**changes)
    maps: dict[int, dict[str, dict[str, str]]] = {}
    for threshold in Threshold.objects.using(db).order_by("platform_id", "kind", "currency"):
        exponent = _exponent(threshold.currency)
        text = str(threshold.amount.amount.quantize(Decimal(1).scaleb(-exponent)))
        maps.setdefault(threshold.platform_id, {}).setdefault(threshold.kind, {})[
            threshold.currency
        ] = text
    for platform_id, kinds in maps.items():
        Platform.objects.using(db).filter(pk=platform_id).update(
            **{column: kinds.get(kind, {}) for kind, column in KINDS}
        )


def _zero() -> Decimal:
    # The existing rows' value while the columns are added; forward() then sets each one.
    return Decimal(0)


MONEY = {"currency_field_name": "currency", "decimal_places": 4, "max_digits": 19}


class Migration(migrations.Migration):
    dependencies = [("payouts", "0006_api_app")]

    operations = [
        migrations.CreateModel(
            name="Threshold",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("approval", "Approval (a second person approves)"),
                            ("review", "Review (finance reviews first)"),
                        ],
                        max_length=16,
                    ),
                ),
                ("currency", models.CharField(max_length=3)),
                ("amount", djmoney.models.fields.MoneyField(**MONEY)),
                (
                    "platform",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="thresholds",
                        to="payouts.platform",
                    ),
                ),
            ],
            options={"ordering": ["platform_id", "kind", "currency"]},
        ),
        migrations.AddConstraint(
            model_name="threshold",
            constraint=models.UniqueConstraint(
                fields=("platform", "kind", "currency"), name="payouts_threshold_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="threshold",
            constraint=models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payouts_threshold_positive"
            ),
        ),
        migrations.RemoveConstraint(model_name="feerule", name="payouts_fee_rule_non_negative"),
        migrations.AddField(
            model_name="feerule",
            name="fixed",
            field=djmoney.models.fields.MoneyField(default=_zero, **MONEY),
            preserve_default=False,  # the rows are filled in below; new rules say it
        ),
        migrations.AddField(
            model_name="feerule",
            name="minimum",
            field=djmoney.models.fields.MoneyField(default=_zero, **MONEY),
            preserve_default=False,  # the rows are filled in below; new rules say it
        ),
        migrations.AddField(
            model_name="feerule",
            name="maximum",
            field=djmoney.models.fields.MoneyField(
                blank=True,
                help_text="the fee never exceeds this; empty for no cap",
                null=True,
                **MONEY,
            ),
        ),
        migrations.RunPython(forward, backward, elidable=False),
        migrations.RemoveField(model_name="feerule", name="fixed_minor"),
        migrations.RemoveField(model_name="feerule", name="minimum_minor"),
        migrations.RemoveField(model_name="feerule", name="maximum_minor"),
        migrations.RemoveField(model_name="platform", name="approval_thresholds"),
        migrations.RemoveField(model_name="platform", name="review_thresholds"),
        migrations.AddConstraint(
            model_name="feerule",
            constraint=models.CheckConstraint(
                condition=models.Q(fixed__gte=0)
                & models.Q(percent__gte=0)
                & models.Q(percent__lt=100)
                & models.Q(minimum__gte=0)
                & (models.Q(maximum__isnull=True) | models.Q(maximum__gte=0)),
                name="payouts_fee_rule_non_negative",
            ),
        ),
    ]
