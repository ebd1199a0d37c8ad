"""A payout method's encrypted values belong to its row: a token copied onto another method (to
send that payee's money to another account) does not open there, and nothing is sent."""

from __future__ import annotations

import pytest
from django.db import connection

from core.crypto import DecryptionError
from payouts.execution.providers import submit_request
from payouts.lifecycle.models import Payout
from payouts.payees.models import PayoutMethod
from tests.support.payouts import bank_method, earn, fund, pay

pytestmark = pytest.mark.django_db


def _copy_secret(*, source: PayoutMethod, target: PayoutMethod) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payouts_payoutmethod SET secret_encrypted = "
            "(SELECT secret_encrypted FROM payouts_payoutmethod WHERE id = %s) WHERE id = %s",
            [source.id, target.id],
        )


def test_a_secret_copied_onto_another_method_does_not_open(platform, make_payee) -> None:
    victim, other = make_payee(), make_payee()
    victims_method = bank_method(platform, victim, "000123456789")
    others_method = bank_method(platform, other, "000555444333")
    fund(platform, "100.00")
    earn(platform, victim, "20.00")
    earn(platform, other, "20.00")
    victims_payout = pay(platform, victim, victims_method, "5.00")
    others_payout = pay(platform, other, others_method, "5.00")

    _copy_secret(source=others_method, target=victims_method)

    with pytest.raises(DecryptionError, match="another row"):
        submit_request(Payout.objects.get(pk=victims_payout.pk), "attempt-1")
    # The method the token was taken from still opens, with its own account.
    request = submit_request(Payout.objects.get(pk=others_payout.pk), "attempt-2")
    assert request.destination.details["account_number"] == "000555444333"


def test_each_method_opens_with_its_own_values(platform, make_payee) -> None:
    payee = make_payee()
    first = bank_method(platform, payee, "000123456789")
    second = bank_method(platform, payee, "000987654321")
    fund(platform, "100.00")
    earn(platform, payee, "20.00")
    for method, account in ((first, "000123456789"), (second, "000987654321")):
        payout = pay(platform, payee, method, "5.00")
        request = submit_request(Payout.objects.get(pk=payout.pk), f"attempt-{method.id}")
        assert request.destination.details["account_number"] == account
