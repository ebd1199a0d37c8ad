"""Fundings and earnings: the exact entries, and failures that move nothing."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from ledger import selectors as ledger_selectors
from payouts.funds.models import Earning, Funding
from payouts.funds.services import earning_create, earnings_create_many, funding_create
from tests.support.payouts import ACTOR, balances, fund

pytestmark = pytest.mark.django_db(transaction=True)


def test_funding_posts_cash_to_funding(platform) -> None:
    funding = funding_create(
        platform=platform, amount="1000.00", currency="USD", reference="wire-1", actor=ACTOR
    )
    assert funding.status == "confirmed"
    entry = ledger_selectors.entry_get(entry_id=funding.entry_id)
    lines = sorted((p.direction.word, str(p.amount)) for p in entry.postings)
    assert entry.kind == "funding.received"
    assert lines == [("credit", "1000.00"), ("debit", "1000.00")]
    with pytest.raises(DomainError) as caught:
        funding_create(
            platform=platform, amount="5.00", currency="USD", reference="wire-1", actor=ACTOR
        )
    assert caught.value.code == "duplicate_reference"
    assert Funding.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("0", "USD", "invalid_amount"),
        ("1.001", "USD", "invalid_amount"),
        (5, "JPY", "unsupported_currency"),
    ],
)
def test_bad_fundings_change_nothing(platform, amount, currency, code) -> None:
    with pytest.raises(DomainError) as caught:
        funding_create(
            platform=platform, amount=amount, currency=currency, reference="w", actor=ACTOR
        )
    assert caught.value.code == code
    assert Funding.objects.count() == 0


def test_earning_beyond_funding_is_refused_and_moves_nothing(platform, make_payee) -> None:
    payee = make_payee()
    fund(platform, "50.00")
    earning_create(
        platform=platform, payee_id=payee.id, amount="30.00", currency="USD", actor=ACTOR
    )
    before = balances(platform, payee)
    with pytest.raises(DomainError) as caught:
        earning_create(
            platform=platform, payee_id=payee.id, amount="20.01", currency="USD", actor=ACTOR
        )
    assert caught.value.code == "insufficient_funds"
    assert balances(platform, payee) == before
    assert Earning.objects.count() == 1


def test_many_earnings_at_once_all_or_none(platform, make_payee) -> None:
    payees = [make_payee() for _ in range(5)]
    fund(platform, "100.00")
    credited = earnings_create_many(
        platform=platform, currency="USD", items=[(p.id, "10.00") for p in payees], actor=ACTOR
    )
    assert credited == 5
    assert [balances(platform, p)["available"] for p in payees] == ["10.00"] * 5
    assert balances(platform, payees[0])["funding"] == "50.00"
    with pytest.raises(DomainError) as caught:
        earnings_create_many(
            platform=platform, currency="USD", items=[(p.id, "10.01") for p in payees], actor=ACTOR
        )
    assert caught.value.code == "insufficient_funds"
    assert [balances(platform, p)["available"] for p in payees] == ["10.00"] * 5
    assert Earning.objects.count() == 5
    with pytest.raises(DomainError) as caught:
        earnings_create_many(
            platform=platform, currency="USD", items=[(10**12, "1.00")], actor=ACTOR
        )
    assert caught.value.code == "payee_not_found"
