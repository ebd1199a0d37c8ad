"""The platform's ledger accounts and their statements: filters, the statement query and the
rendered account and statement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import CurrencyField
from api.serializers.common import AmountOut, page_of
from ledger.money import from_minor, normal_sign, to_minor
from ledger.selectors import StatementLine, StatementPage
from ledger.types import AccountInfo
from payouts.common.representation import when

MAX_STATEMENT_DAYS = 366
ACCOUNT_TYPES = ["asset", "liability", "equity", "revenue", "expense"]
SIDES = ["debit", "credit"]


@extend_schema_field({"type": "string", "enum": SIDES}, component_name="LedgerSide")
class SideField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=SIDES, **kwargs)


@extend_schema_field({"type": "string", "enum": ACCOUNT_TYPES}, component_name="LedgerAccountType")
class AccountTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ACCOUNT_TYPES, **kwargs)


def amount(value: Decimal | None, currency: str) -> str | None:
    """A Decimal as the API shows amounts: with exactly the currency's exponent."""
    return None if value is None else str(from_minor(to_minor(value, currency), currency))


# --- input -------------------------------------------------------------------------------------


class AccountFilters(serializers.Serializer):
    currency = CurrencyField(required=False)
    code_prefix = serializers.CharField(
        max_length=200, required=False, help_text="Accounts whose code starts with this"
    )


class StatementQuery(serializers.Serializer):
    date_from = serializers.DateField(help_text="First effective date (YYYY-MM-DD), inclusive")
    date_to = serializers.DateField(help_text="Last effective date (YYYY-MM-DD), inclusive")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        date_from: dt.date = attrs["date_from"]
        date_to: dt.date = attrs["date_to"]
        if date_from > date_to:
            raise serializers.ValidationError(
                {"date_to": ["date_to is on or after date_from"]}, code="invalid_range"
            )
        if (date_to - date_from).days >= MAX_STATEMENT_DAYS:
            raise serializers.ValidationError(
                {"date_to": [f"a statement covers at most {MAX_STATEMENT_DAYS} days"]},
                code="range_too_long",
            )
        return attrs


# --- accounts ----------------------------------------------------------------------------------


class AccountOut(serializers.Serializer):
    id = serializers.IntegerField()
    object = serializers.CharField(default="ledger_account")
    code = serializers.CharField(help_text="e.g. funding, payee:17:available, in_transit:ach")
    name = serializers.CharField(allow_blank=True)
    currency = serializers.CharField()
    type = AccountTypeField()
    normal_side = SideField(help_text="The side on which the balance is positive")
    balance = AmountOut()
    floor = AmountOut(allow_null=True, help_text="The lowest balance allowed (null: none)")
    version = serializers.IntegerField(help_text="How many postings the account has")


AccountPage = page_of(AccountOut, "LedgerAccountPage")


def account_data(account: AccountInfo) -> dict[str, Any]:
    currency = account.currency
    return {
        "id": account.id,
        "object": "ledger_account",
        "code": account.code,
        "name": account.name,
        "currency": currency,
        "type": account.type,
        "normal_side": "debit" if normal_sign(account.type) > 0 else "credit",
        "balance": amount(account.balance, currency),
        "floor": amount(account.floor, currency),
        "version": account.version,
    }


# --- statements --------------------------------------------------------------------------------


class StatementLineOut(serializers.Serializer):
    posting = serializers.IntegerField()
    entry = serializers.IntegerField()
    effective_date = serializers.DateField()
    created = serializers.DateTimeField()
    kind = serializers.CharField()
    memo = serializers.CharField(allow_blank=True)
    side = SideField()
    amount = AmountOut()
    balance = AmountOut(help_text="The running balance after this line")


class StatementOut(serializers.Serializer):
    object = serializers.CharField(default="ledger_statement")
    account = AccountOut()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    opening_balance = AmountOut(help_text="Before the first effective date")
    closing_balance = AmountOut(help_text="After the last effective date")
    total_debits = AmountOut()
    total_credits = AmountOut()
    line_count = serializers.IntegerField(help_text="Lines in the whole range")
    lines = StatementLineOut(many=True, help_text="This page's lines, oldest first")
    next = serializers.URLField(allow_null=True, help_text="The next page of lines")


def _line_data(line: StatementLine, currency: str) -> dict[str, Any]:
    return {
        "posting": line.posting_id,
        "entry": line.entry_id,
        "effective_date": line.effective_date.isoformat(),
        "created": when(line.recorded_at),
        "kind": line.kind,
        "memo": line.memo,
        "side": line.direction.word,
        "amount": amount(line.amount, currency),
        "balance": amount(line.balance, currency),
    }


def statement_data(page: StatementPage, next_url: str | None) -> dict[str, Any]:
    currency = page.account.currency
    return {
        "object": "ledger_statement",
        "account": account_data(page.account),
        "date_from": page.date_from.isoformat(),
        "date_to": page.date_to.isoformat(),
        "opening_balance": amount(page.opening_balance, currency),
        "closing_balance": amount(page.closing_balance, currency),
        "total_debits": amount(page.total_debits, currency),
        "total_credits": amount(page.total_credits, currency),
        "line_count": page.line_count,
        "lines": [_line_data(line, currency) for line in page.lines],
        "next": next_url,
    }
