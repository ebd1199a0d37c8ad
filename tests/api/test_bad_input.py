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
from tests.support.payouts import balances, pay
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


# --- unknown fields --------------------------------------------------------------------------


def test_a_misspelt_scheduled_for_is_400_and_pays_nothing(
    api: Api, ready: dict[str, Any], platform: Platform, payee: Payee
) -> None:
    before = world(platform, payee)
    body = {**ready, "amount": "25.00", "schedule_for": "2030-01-01T00:00:00Z"}
    problem = assert_problem(api.post("/v1/payouts", body), 400, "validation_error")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("schedule_for", "unknown_field")
    ]
    assert problem["detail"].startswith("schedule_for: unknown field")
    assert world(platform, payee) == before


def _bodies(ready: dict[str, Any], ids: dict[str, int]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, a valid body) for every operation that takes a JSON body."""
    payee, payout, endpoint, event = ids["payee"], ids["payout"], ids["endpoint"], ids["event"]
    method = ids["method"]
    item = {**ready, "amount": "1.00"}
    return [
        ("POST", "/v1/payouts", {**ready, "amount": "1.00"}),
        ("POST", f"/v1/payouts/{payout}/cancel", {"reason": "duplicate"}),
        ("POST", "/v1/fundings", {"amount": "1.00", "currency": "USD", "reference": "w-1"}),
        ("POST", "/v1/earnings", {"payee": payee, "amount": "1.00", "currency": "USD"}),
        ("POST", "/v1/payout-batches", {"description": "week 45", "items": [item]}),
        (
            "POST",
            "/v1/payees",
            {"external_id": "new-1", "type": "individual", "name": "Ann", "country": "US"},
        ),
        ("PATCH", f"/v1/payees/{payee}", {"name": "Ada King"}),
        ("POST", f"/v1/payees/{payee}/payout-methods/{method}/disable", {"reason": "closed"}),
        ("POST", "/v1/webhook-endpoints", {"url": "https://example.com/hooks"}),
        ("PATCH", f"/v1/webhook-endpoints/{endpoint}", {"description": "ops"}),
        ("POST", f"/v1/webhook-endpoints/{endpoint}/rotate-secret", {"expires_in_s": 60}),
        ("POST", f"/v1/events/{event}/redeliver", {"endpoint": endpoint}),
    ]


def test_unknown_fields_in_every_create_and_update_body_are_400_naming_them(
    api: Api, ready: dict[str, Any], platform: Platform, payee: Payee
) -> None:
    """Every body is checked by the same rule: a field the operation does not define is named in
    a 400, never ignored, and nothing is written."""
    method = PayoutMethod.objects.get(payee=payee)
    payout = pay(platform, payee, method, "5.00")
    endpoint = api.post("/v1/webhook-endpoints", {"url": "https://example.com/a"}).json()
    event = Event.objects.filter(platform=platform).latest("id")
    ids = {
        "payee": payee.id,
        "method": method.id,
        "payout": payout.id,
        "endpoint": endpoint["id"],
        "event": event.id,
    }
    before = world(platform, payee)
    for verb, path, body in _bodies(ready, ids):
        send = api.post if verb == "POST" else api.patch
        response = send(path, {**body, "colour": "red", "amont": "1.00"})
        problem = assert_problem(response, 400, "validation_error")
        fields = [(e["field"], e["code"]) for e in problem["errors"]]
        assert fields == [("amont", "unknown_field"), ("colour", "unknown_field")], (path, fields)
    assert world(platform, payee) == before


# --- payee names -----------------------------------------------------------------------------

NEW_PAYEE = {"external_id": "new-1", "type": "individual", "country": "US"}
# ISO 20022's Max140Text, the longest name any of our rails carries (docs/api.md).
NAME_MAX_LENGTH = 140
BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))] + [
    "\u200e",
    "\u200f",
    "\u061c",
]


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_payee_names_with_bidirectional_controls_are_400(
    api: Api, platform: Platform, payee: Payee, control: str
) -> None:
    """A name that reorders itself on screen ("Ada\u202eecnalaB") would read differently to
    finance and to the payee's bank."""
    before = world(platform, payee)
    name = f"Ada {control}Lovelace"
    assert_problem(api.post("/v1/payees", {**NEW_PAYEE, "name": name}), 400, "validation_error")
    assert_problem(api.patch(f"/v1/payees/{payee.id}", {"name": name}), 400, "validation_error")
    response = api.patch(f"/v1/payees/{payee.id}", {"name": name})
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("name", "invalid_characters")
    ]
    assert world(platform, payee) == before


def test_payee_names_longer_than_the_rails_accept_are_400(
    api: Api, platform: Platform, payee: Payee
) -> None:
    before = world(platform, payee)
    too_long = "A" * (NAME_MAX_LENGTH + 1)
    for response in (
        api.post("/v1/payees", {**NEW_PAYEE, "name": too_long}),
        api.patch(f"/v1/payees/{payee.id}", {"name": too_long}),
    ):
        assert_problem(response, 400, "validation_error", "name")
        assert [e["code"] for e in response.json()["errors"]] == ["max_length"]
    assert world(platform, payee) == before
    at_limit = api.post("/v1/payees", {**NEW_PAYEE, "name": "A" * NAME_MAX_LENGTH})
    assert at_limit.status_code == 201, at_limit.content
    assert at_limit.json()["name"] == "A" * NAME_MAX_LENGTH
