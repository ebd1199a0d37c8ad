"""A batch item and a single payout get the same quote, or the same refusal (code, message and
details), for every reason a quote can be refused; and the batch path costs no query per item."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import DomainError
from payouts.batches.quotes import BatchQuoter, ItemRequest
from payouts.lifecycle.quotes import Quote, payout_quote
from payouts.payees.services import method_disable, payee_update
from payouts.platforms.services import fee_rule_set, platform_create
from rails.models import ANY, Route
from rails.routing import route_default_install
from tests.support.payouts import ACTOR, bank_method

pytestmark = pytest.mark.django_db(transaction=True)


def _single(platform, request: ItemRequest) -> object:
    try:
        return payout_quote(
            platform=platform,
            payee_id=request.payee_id,
            method_id=request.method_id,
            amount=request.amount,
            currency=request.currency,
            speed=request.speed,
        )
    except DomainError as exc:
        return exc


def _answer(result: Quote | DomainError | object) -> tuple[object, ...]:
    if isinstance(result, DomainError):
        return ("error", result.code, result.message, result.details)
    assert isinstance(result, Quote)
    fields = ("amount_minor", "fee_minor", "net_minor", "fee_bearer", "rail", "speed", "currency")
    return ("quote", *(getattr(result, f) for f in fields), result.payee.id, result.method.id)


def test_every_refusal_is_the_same_in_a_batch_and_alone(make_payee) -> None:
    plat = platform_create(name=f"Same {time.monotonic_ns()}", currencies=["USD", "EUR"])
    fee_rule_set(
        platform=plat, rail="sandbox", speed="standard", currency="USD", fixed="0.30", percent="1"
    )
    ada, bob, cy = make_payee(platform=plat), make_payee(platform=plat), make_payee(platform=plat)
    ada_method, bob_method = bank_method(plat, ada), bank_method(plat, bob)
    cy_method = bank_method(plat, cy)
    method_disable(platform=plat, payee_id=bob.id, method_id=bob_method.id, actor=ACTOR)
    payee_update(platform=plat, payee_id=cy.id, status="blocked")
    other = platform_create(name=f"Other {time.monotonic_ns()}", currencies=["USD"])
    stranger = make_payee(platform=other)
    stranger_method = bank_method(other, stranger)
    requests = [
        ItemRequest(ada.id, ada_method.id, "40.00", "USD"),  # quoted, with a fee
        ItemRequest(ada.id, ada_method.id, "40.00", "USD", "instant"),  # quoted, no rule
        ItemRequest(ada.id, ada_method.id, "0.30", "USD"),  # below the fee
        ItemRequest(ada.id, ada_method.id, "1", "EUR"),  # the method is in USD
        ItemRequest(ada.id, ada_method.id, "1", "GBP"),  # not the platform's
        ItemRequest(ada.id, ada_method.id, "1", "XYZ"),  # not a currency
        ItemRequest(ada.id, ada_method.id, "1.001", "USD"),  # too many decimals
        ItemRequest(ada.id, ada_method.id, "0", "USD"),
        ItemRequest(ada.id, ada_method.id, 1.5, "USD"),
        ItemRequest(ada.id, ada_method.id, "1", "USD", "warp"),
        ItemRequest(ada.id, bob_method.id, "1", "USD"),  # another payee's method
        ItemRequest(bob.id, bob_method.id, "1", "USD"),  # disabled
        ItemRequest(cy.id, cy_method.id, "1", "USD"),  # blocked payee
        ItemRequest(stranger.id, stranger_method.id, "1", "USD"),  # another platform's
        ItemRequest(ada.id, stranger_method.id, "1", "USD"),
        ItemRequest(ada.id, 10**9, "1", "USD"),
        ItemRequest(10**9, ada_method.id, "1", "USD"),
        ItemRequest("x", ada_method.id, "1", "USD"),
        ItemRequest(ada.id, None, "1", "USD"),
    ]
    quoter = BatchQuoter(platform=plat, requests=requests)
    bulk = [_answer(quoter.quote(r)) for r in requests]
    single = [_answer(_single(plat, r)) for r in requests]

    assert bulk == single
    assert [answer[:2] for answer in bulk] == [
        ("quote", 4000),
        ("quote", 4000),
        ("error", "amount_below_fee"),
        ("error", "currency_mismatch"),
        ("error", "unsupported_currency"),
        ("error", "unsupported_currency"),
        ("error", "invalid_amount"),
        ("error", "invalid_amount"),
        ("error", "invalid_amount"),
        ("error", "invalid_input"),
        ("error", "payout_method_not_found"),
        ("error", "payout_method_not_usable"),
        ("error", "payee_not_payable"),
        ("error", "payee_not_found"),
        ("error", "payout_method_not_found"),
        ("error", "payout_method_not_found"),
        ("error", "payee_not_found"),
        ("error", "payee_not_found"),
        ("error", "payout_method_not_found"),
    ]
    assert bulk[0][2:4] == (70, 3930)  # 0.30 + 1% of 40.00, taken from the amount


@pytest.fixture
def standard_only(transactional_db: None) -> Iterator[None]:
    """Bank accounts are carried at standard speed only while the test runs."""
    route_default_install()
    route = Route.objects.get(method_type="us_bank_account", country=ANY, currency=ANY)
    speeds = route.speeds
    Route.objects.filter(pk=route.pk).update(speeds=["standard"])
    yield
    Route.objects.filter(pk=route.pk).update(speeds=speeds)


@pytest.mark.usefixtures("standard_only")
def test_no_route_is_the_same_refusal_and_the_batch_asks_once(make_payee) -> None:
    plat = platform_create(name=f"Routeless {time.monotonic_ns()}", currencies=["USD"])
    ada = make_payee(platform=plat)
    method = bank_method(plat, ada)
    requests = [ItemRequest(ada.id, method.id, f"{n}.00", "USD", "instant") for n in (1, 2, 3)]
    single = [_answer(_single(plat, r)) for r in requests]
    quoter = BatchQuoter(platform=plat, requests=requests)
    with CaptureQueriesContext(connection) as queries:
        bulk = [_answer(quoter.quote(r)) for r in requests]

    assert bulk == single
    assert {answer[1] for answer in bulk} == {"no_route"}
    # One route lookup for the three items, no payee, method or fee query per item.
    assert len(queries) == 1


def test_a_batch_of_good_items_costs_no_query_per_item(make_payee) -> None:
    plat = platform_create(name=f"Bulk {time.monotonic_ns()}", currencies=["USD"])
    payees = [make_payee(platform=plat) for _ in range(3)]
    requests = [
        ItemRequest(p.id, bank_method(plat, p).id, f"{n}.00", "USD")
        for p in payees
        for n in (5, 6, 7)
    ]
    quoter = BatchQuoter(platform=plat, requests=requests)
    with CaptureQueriesContext(connection) as queries:
        results = [quoter.quote(r) for r in requests]

    assert [getattr(r, "amount_minor", None) for r in results] == [
        n * 100 for _ in payees for n in (5, 6, 7)
    ]
    # One route lookup and one fee rule lookup for the nine items.
    assert len(queries) == 2
