"""Batch quotes: quoting many items at once gives what quoting each alone gives, errors included."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from payouts.batches.quotes import BatchQuoter, ItemRequest
from payouts.lifecycle.services import payout_quote
from tests.factories import PlatformFactory
from tests.support.payouts import bank_method

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("fee_bearer", ["payee", "platform"])
def test_bulk_quotes_match_single_quotes(make_payee, fee_bearer) -> None:
    plat = PlatformFactory.create(currencies=["USD"], fee_bearer=fee_bearer)
    ada = make_payee(platform=plat)
    ada_method = bank_method(plat, ada)
    requests = [
        ItemRequest(ada.id, ada_method.id, "40.00", "USD"),
        ItemRequest(ada.id, ada_method.id, "40.00", "USD", "instant"),
        ItemRequest(ada.id, ada_method.id, "0.25", "USD"),
        ItemRequest(ada.id, ada_method.id, "1", "GBP"),
        ItemRequest(ada.id, 10**9, "1", "USD"),
        ItemRequest(True, ada_method.id, "1", "USD"),
        ItemRequest(ada.id, ada_method.id, 1.5, "USD"),
        ItemRequest(ada.id, ada_method.id, "1", "USD", "warp"),
    ]
    quoter = BatchQuoter(platform=plat, requests=requests)
    for request in requests:
        bulk = quoter.quote(request)
        try:
            single: object = payout_quote(
                platform=plat,
                payee_id=request.payee_id,
                method_id=request.method_id,
                amount=request.amount,
                currency=request.currency,
                speed=request.speed,
            )
        except DomainError as exc:
            single = exc
        if isinstance(single, DomainError):
            assert isinstance(bulk, DomainError)
            assert (bulk.code, bulk.message) == (single.code, single.message)
        else:
            assert not isinstance(bulk, DomainError)
            fields = ("amount_minor", "fee_minor", "net_minor", "rail", "speed", "currency")
            assert [getattr(bulk, f) for f in fields] == [getattr(single, f) for f in fields]
