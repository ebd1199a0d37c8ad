"""The one translation of the ledger's ``BelowFloor`` into ``InsufficientFunds``."""

from __future__ import annotations

from ledger.errors import BelowFloor
from payouts.common.errors import InsufficientFunds, insufficient_funds


def _below_floor() -> BelowFloor:
    return BelowFloor(
        "account payee:7:available would go to -1.00 USD, below its floor of 0.00",
        account_id=42,
        account_code="payee:7:available",
        currency="USD",
        balance="3.00",
        floor="0.00",
    )


def test_the_account_currency_and_balance_pass_never_the_account_id_or_floor() -> None:
    error = insufficient_funds(_below_floor(), "the balance does not cover this payout")

    assert isinstance(error, InsufficientFunds)
    assert (error.code, error.message) == (
        "insufficient_funds",
        "the balance does not cover this payout",
    )
    assert error.details == {
        "account_code": "payee:7:available",
        "currency": "USD",
        "balance": "3.00",
    }


def test_a_caller_names_fewer_details_or_none() -> None:
    funding = insufficient_funds(_below_floor(), "short", details=("currency", "balance"))
    item = insufficient_funds(_below_floor(), "short", details=())

    assert funding.details == {"currency": "USD", "balance": "3.00"}
    assert item.details == {}
    assert item.message == "short"
