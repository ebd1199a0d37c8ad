"""A payee's events: payee.updated on real changes and on its methods, rendered as the API
renders the payee (creation is not an update)."""

from __future__ import annotations

import pytest

from payouts.payees.models import Payee
from payouts.payees.representation import payee_data
from payouts.payees.services import method_disable, payee_update
from tests.support.events import events_of
from tests.support.payouts import ACTOR, bank_method
from webhooks.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def test_payee_updated_on_real_changes_and_methods(platform, make_payee) -> None:
    payee = make_payee()
    assert events_of("payee", payee.id) == []  # creation is not an update
    method = bank_method(platform, payee)
    assert events_of("payee", payee.id) == [("payee.updated", 1)]
    payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King", status="blocked")
    updated = Payee.objects.get(pk=payee.id)
    payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")  # no change
    assert events_of("payee", payee.id) == [("payee.updated", 1), ("payee.updated", 2)]
    second = Event.objects.get(object_type="payee", object_id=payee.id, sequence=2)
    assert second.data == payee_data(updated)
    assert (second.data["name"], second.data["status"]) == ("Ada King", "blocked")
    method_disable(platform=platform, payee_id=payee.id, method_id=method.id, actor=ACTOR)
    method_disable(platform=platform, payee_id=payee.id, method_id=method.id, actor=ACTOR)
    assert events_of("payee", payee.id)[-1] == ("payee.updated", 3)
    assert len(events_of("payee", payee.id)) == 3
