"""Bad input of every kind is a 4xx problem that changes nothing: tampered cursors, over-precise
amounts, unknown fields in any create or update body, and payee names the rails cannot carry."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from payouts.batches.models import PayoutBatch
from payouts.funds.models import Earning, Funding
from payouts.lifecycle.models import Payout
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform
from tests.api.conftest import Api, assert_problem
from tests.support.payouts import balances
from webhooks.models import Event, WebhookEndpoint

pytestmark = pytest.mark.django_db


def world(platform: Platform, payee: Payee) -> tuple[object, ...]:
    """Everything a request could have written for this platform."""
    return (
        balances(platform, payee),
        list(Payee.objects.filter(platform=platform).values_list("id", "legal_name", "updated")),
        PayoutMethod.objects.filter(payee__platform=platform).count(),
        list(Payout.objects.filter(platform=platform).values_list("id", "status")),
        Funding.objects.filter(platform=platform).count(),
        Earning.objects.filter(platform=platform).count(),
        PayoutBatch.objects.filter(platform=platform).count(),
        list(WebhookEndpoint.objects.filter(platform=platform).values_list("id", "updated")),
        Event.objects.filter(platform=platform).count(),
    )


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- cursors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("p=abc"),
        _cursor("p=1.5"),
        _cursor("p=%00"),
        _cursor("p=99999999999999999999999"),
        _cursor("p=-3"),
        _cursor("o=1&p=" + "9" * 5000),
        _cursor("r=1&p=x"),
    ],
    ids=["letters", "decimal", "nul", "past 64 bits", "negative", "5000 digits", "reversed"],
)
def test_a_tampered_cursor_is_400_naming_the_cursor(
    api: Api, ready: dict[str, Any], platform: Platform, payee: Payee, cursor: str
) -> None:
    """A cursor decodes to a position the list is filtered by: one this API did not give out is
    refused before any query, on every list that pages by cursor."""
    batch = api.post(
        "/v1/payout-batches", {"items": [{**ready, "amount": "1.00", "currency": "USD"}]}
    )
    assert batch.status_code == 201, batch.content
    before = world(platform, payee)
    for path in (
        "/v1/payouts",
        "/v1/payees",
        "/v1/earnings",
        "/v1/payout-batches",
        f"/v1/payout-batches/{batch.json()['id']}/items",
    ):
        response = api.get(path, {"cursor": cursor})
        assert_problem(response, 400, "validation_error", "cursor")
    assert world(platform, payee) == before


# --- amounts ---------------------------------------------------------------------------------

OVER_PRECISE = "999999999999999.999999999999999999"


def test_an_over_precise_amount_is_refused_never_rounded(
    api: Api, ready: dict[str, Any], platform: Platform, payee: Payee
) -> None:
    """33 significant digits are more than a decimal's default precision (28): the amount must be
    refused as having more decimals than USD, not rounded to 1000000000000000.00."""
    before = world(platform, payee)
    for path, body in (
        ("/v1/fundings", {"amount": OVER_PRECISE, "currency": "USD", "reference": "wire-9"}),
        ("/v1/earnings", {"payee": payee.id, "amount": OVER_PRECISE, "currency": "USD"}),
        ("/v1/payouts", {**ready, "amount": OVER_PRECISE}),
    ):
        assert_problem(api.post(path, body), 400, "invalid_amount", "amount")
    assert world(platform, payee) == before
