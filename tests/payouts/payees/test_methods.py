"""Payout methods: bad ones are typed errors that store nothing, and stored ones are encrypted,
with each change recorded and a disabled method refused for payouts."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from tests.support.payouts import ACTOR, bank_method, pay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("type_", "currency", "fields", "code"),
    [
        (
            "us_bank_account",
            "USD",
            {
                "routing_number": "021000022",
                "account_number": "000123456789",
                "account_holder_name": "Ada",
            },
            "invalid_routing_number",
        ),
        (
            "iban",
            "EUR",
            {"iban": "DE89370400440532013001", "account_holder_name": "Ada"},
            "invalid_iban",
        ),
        (
            "clabe",
            "MXN",
            {"clabe": "032180000118359710", "account_holder_name": "Ada"},
            "invalid_clabe",
        ),
        (
            "us_bank_account",
            "EUR",
            {
                "routing_number": "021000021",
                "account_number": "000123456789",
                "account_holder_name": "Ada",
            },
            "unsupported_currency",
        ),
        ("cheque", "USD", {}, "unsupported_method_type"),
    ],
)
def test_bad_methods_are_typed_errors_that_store_nothing(
    platform, make_payee, type_, currency, fields, code
) -> None:
    from payouts.payees.models import PayoutMethod, PayoutMethodChange
    from payouts.payees.services import method_add

    payee = make_payee()
    with pytest.raises(DomainError) as caught:
        method_add(
            platform=platform,
            payee_id=payee.id,
            type=type_,
            currency=currency,
            fields=fields,
            actor=ACTOR,
        )
    assert caught.value.code == code
    assert "0532013001" not in str(caught.value.details)  # never the full account number
    assert PayoutMethod.objects.count() == 0
    assert PayoutMethodChange.objects.count() == 0


def test_methods_are_encrypted_and_changes_recorded(platform, make_payee) -> None:
    from django.db import connection as conn

    from payouts.payees.models import PayoutMethodChange
    from payouts.payees.services import method_disable

    payee = make_payee()
    method = bank_method(platform, payee, "000123456789")
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT secret_encrypted, public::text FROM payouts_payoutmethod WHERE id = %s",
            [method.id],
        )
        secret, public = cursor.fetchone()
    assert "000123456789" not in secret and "000123456789" not in public
    assert method.last4 == "6789"
    method_disable(
        platform=platform,
        payee_id=payee.id,
        method_id=method.id,
        actor="user:support",
        reason="closed",
    )
    assert list(
        PayoutMethodChange.objects.filter(method=method).values_list("action", "actor")
    ) == [
        ("created", ACTOR),
        ("disabled", "user:support"),
    ]
    with pytest.raises(DomainError) as caught:
        pay(platform, payee, method, "1.00")
    assert caught.value.code == "payout_method_not_usable"
