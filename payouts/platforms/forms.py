"""Admin forms for what people type about a platform: fee rules and thresholds.

The amounts are django-money fields (an amount beside its currency); these forms add what the
model cannot say alone: one currency per fee rule, a currency the platform works in, and no more
decimals than that currency has (nothing is ever rounded)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from moneyed import Money

from ledger import errors as ledger_errors
from ledger.money import to_minor
from payouts.platforms.models import FeeRule, Platform, Threshold


class _MoneyForm(forms.ModelForm):
    money_fields: ClassVar[tuple[str, ...]] = ()
    positive = False  # else zero is allowed; negative never is

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amounts: dict[str, Money] = {
            name: data[name] for name in self.money_fields if data.get(name) is not None
        }
        currencies = sorted({str(money.currency) for money in amounts.values()})
        if len(currencies) > 1:
            raise forms.ValidationError(
                f"the amounts are in one currency, not {' and '.join(currencies)}"
            )
        platform = Platform.objects.filter(pk=self.instance.platform_id).first()
        if currencies and platform is not None and currencies[0] not in platform.currencies:
            raise forms.ValidationError(
                f"this platform works in {', '.join(platform.currencies)}, not {currencies[0]}"
            )
        for name, money in amounts.items():
            try:
                minor = to_minor(money, str(money.currency))
            except ledger_errors.InvalidAmount as exc:
                self.add_error(name, exc.message)
                continue
            if minor < 0 or (self.positive and minor == 0):
                self.add_error(name, "positive" if self.positive else "not negative")
        return data


class FeeRuleForm(_MoneyForm):
    money_fields = ("fixed", "minimum", "maximum")

    class Meta:
        model = FeeRule
        fields = ("rail", "speed", "fixed", "percent", "minimum", "maximum")


class ThresholdForm(_MoneyForm):
    money_fields = ("amount",)
    positive = True

    class Meta:
        model = Threshold
        fields = ("kind", "amount")
