"""A payout, a payee and a batch read the same in an API response, through the API's output
serializer, and in the data of their events: all three come from the room's representation."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from api.serializers.batches import BatchOut
from api.serializers.payees import PayeeOut
from api.serializers.payouts import PayoutOut
from payouts.batches.representation import batch_data
from payouts.batches.services import batch_create
from payouts.lifecycle.models import Payout
from payouts.lifecycle.representation import payout_data
from payouts.payees.models import Payee
from payouts.payees.representation import payee_data
from payouts.platforms.models import Platform
from tests.api.conftest import Api
from tests.support.payouts import ACTOR, bank_method, earn, fund, pay
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def _event_data(object_type: str, object_id: int) -> dict:
    return Event.objects.filter(object_type=object_type, object_id=object_id).latest("id").data


def test_a_payout_reads_the_same_in_the_api_its_serializer_and_its_event(
    api: Api, platform: Platform, make_payee: Callable[..., Payee]
) -> None:
    payee = make_payee("driver-1")
    method = bank_method(platform, payee)
    fund(platform, "100.00")
    earn(platform, payee, "50.00")
    payout = Payout.objects.get(pk=pay(platform, payee, method, "20.00").pk)

    body = api.get(f"/v1/payouts/{payout.id}").json()
    assert body == payout_data(payout)
    assert PayoutOut(payout).data == body
    assert _event_data("payout", payout.id) == json.loads(json.dumps(body))


def test_a_payee_reads_the_same_in_the_api_its_serializer_and_its_event(
    api: Api, platform: Platform
) -> None:
    created = api.post(
        "/v1/payees",
        {"external_id": "p-1", "type": "individual", "name": "Ada", "country": "US"},
    ).json()
    updated = api.patch(f"/v1/payees/{created['id']}", {"name": "Ada L."}).json()
    payee = Payee.objects.get(pk=created["id"])

    assert updated == payee_data(payee)
    assert PayeeOut(payee).data == updated
    assert _event_data("payee", payee.id) == updated


def test_a_batch_reads_the_same_in_the_api_and_its_serializer(
    api: Api, platform: Platform, make_payee: Callable[..., Payee]
) -> None:
    payee = make_payee("driver-2")
    method = bank_method(platform, payee)
    items = [{"payee": payee.id, "payout_method": method.id, "amount": "1.00", "currency": "USD"}]
    batch = batch_create(platform=platform, items=items, actor=ACTOR, execute_now=False)

    body = api.get(f"/v1/payout-batches/{batch.id}").json()
    assert body == batch_data(batch)
    assert BatchOut(batch).data == body
