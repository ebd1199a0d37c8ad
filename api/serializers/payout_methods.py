"""Payout methods: the create body (one shape per type), filters, the disable body and the
rendered method, which never shows a sensitive value (only its last 4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from api.fields import CurrencyField, Text
from api.serializers.common import page_of
from api.serializers.strict import (
    StrictSerializer,
    choice,
    has_bad_characters,
    safe_name,
)
from payouts.common.representation import when
from payouts.payees.models import MethodStatus, PayoutMethod
from rails.methods import MethodType

METHOD_TYPES = [(kind.value, kind.value) for kind in MethodType]


class MethodCreate(StrictSerializer):
    """``type`` and ``currency``; every other field goes to the type's validator as it came
    (it refuses unknown names and checks each value), once its characters are known to be
    storable."""

    type = choice(METHOD_TYPES, "PayoutMethodType")
    currency = CurrencyField()

    def unknown_fields(self, data: Mapping[Any, Any]) -> list[str]:
        # Which names a method takes depends on its type: the type's validator refuses the
        # others, naming them (rails.methods.fields.reject_unknown).
        return []

    def to_internal_value(self, data: Any) -> Any:
        validated = super().to_internal_value(data)
        extra = {name: value for name, value in data.items() if name not in self.fields}
        for name, value in extra.items():
            if has_bad_characters(name) or (isinstance(value, str) and has_bad_characters(value)):
                raise serializers.ValidationError(
                    {safe_name(name): ["must not contain NUL characters or unpaired surrogates"]},
                    code="invalid_characters",
                )
        validated["fields"] = extra
        return validated


# --- the documented shape of each type (validation is rails.methods') --------------------------

_HOLDER = "Name on the account, 1 to 140 characters"


def _type_field(kind: MethodType) -> serializers.ChoiceField:
    return choice([(kind.value, kind.value)])


def _only(currency: str) -> CurrencyField:
    return CurrencyField(help_text=f"{currency} only")


class UsBankAccountCreate(serializers.Serializer):
    type = _type_field(MethodType.US_BANK_ACCOUNT)
    currency = _only("USD")
    routing_number = serializers.CharField(help_text="ABA routing number, 9 digits")
    account_number = serializers.CharField(help_text="4 to 17 digits")
    account_holder_name = serializers.CharField(help_text=_HOLDER)
    account_type = choice([("checking", "checking"), ("savings", "savings")], required=False)


class IbanCreate(serializers.Serializer):
    type = _type_field(MethodType.IBAN)
    currency = CurrencyField(
        help_text="EUR for any SEPA IBAN, or the local currency of GB, CH, LI, SE, DK, NO, PL, "
        "CZ, HU and RO IBANs"
    )
    iban = serializers.CharField()
    bic = serializers.CharField(required=False, help_text="Derived from the IBAN when absent")
    account_holder_name = serializers.CharField(help_text=_HOLDER)


class WalletCreate(serializers.Serializer):
    email = serializers.EmailField(required=False, help_text="Give email or phone, not both")
    phone = serializers.CharField(required=False, help_text="E.164, such as +14155550123")
    account_holder_name = serializers.CharField(required=False, help_text=_HOLDER)


class PaypalCreate(WalletCreate):
    type = _type_field(MethodType.PAYPAL)
    currency = CurrencyField(help_text="One of the 21 currencies PayPal Payouts carries")
    country = serializers.CharField(required=False, help_text="Defaults to the payee's country")


class VenmoCreate(WalletCreate):
    type = _type_field(MethodType.VENMO)
    currency = _only("USD")


class DebitCardCreate(serializers.Serializer):
    type = _type_field(MethodType.DEBIT_CARD)
    currency = CurrencyField(help_text="USD, CAD, GBP, EUR or AUD")
    token = serializers.CharField(help_text="The card provider's token (tok_...), never a number")
    last4 = serializers.CharField(help_text="The card's last 4 digits")
    brand = choice([(b, b) for b in ("amex", "discover", "mastercard", "visa")], required=False)
    exp_month = serializers.IntegerField(required=False, min_value=1, max_value=12)
    exp_year = serializers.IntegerField(required=False)
    country = serializers.CharField(required=False, help_text="Defaults to the payee's country")
    account_holder_name = serializers.CharField(required=False, help_text=_HOLDER)


class PixCreate(serializers.Serializer):
    type = _type_field(MethodType.PIX)
    currency = _only("BRL")
    key = serializers.CharField(help_text="CPF, CNPJ, email, +55 phone or random key")
    key_type = choice(
        [(k, k) for k in ("cpf", "cnpj", "email", "phone", "evp")],
        required=False,
        help_text="Inferred from the key when absent",
    )
    account_holder_name = serializers.CharField(required=False, help_text=_HOLDER)


class UpiCreate(serializers.Serializer):
    type = _type_field(MethodType.UPI)
    currency = _only("INR")
    vpa = serializers.CharField(help_text="name@bank")
    account_holder_name = serializers.CharField(required=False, help_text=_HOLDER)


class ClabeCreate(serializers.Serializer):
    type = _type_field(MethodType.CLABE)
    currency = _only("MXN")
    clabe = serializers.CharField(help_text="18 digits")
    account_holder_name = serializers.CharField(help_text=_HOLDER)


CREATE_SHAPES: dict[str, type[serializers.Serializer]] = {
    MethodType.US_BANK_ACCOUNT.value: UsBankAccountCreate,
    MethodType.IBAN.value: IbanCreate,
    MethodType.PAYPAL.value: PaypalCreate,
    MethodType.VENMO.value: VenmoCreate,
    MethodType.DEBIT_CARD.value: DebitCardCreate,
    MethodType.PIX.value: PixCreate,
    MethodType.UPI.value: UpiCreate,
    MethodType.CLABE.value: ClabeCreate,
}

MethodCreateBody = PolymorphicProxySerializer(
    component_name="PayoutMethodCreate",
    serializers=CREATE_SHAPES,  # type: ignore[arg-type]
    resource_type_field_name="type",
)


class MethodFilters(serializers.Serializer):
    status = choice(MethodStatus.choices, "PayoutMethodStatus", required=False)
    currency = CurrencyField(required=False)


class MethodDisable(StrictSerializer):
    reason = Text(max_length=500, required=False, allow_blank=True)


# --- output --------------------------------------------------------------------------------------


class MethodOut(serializers.Serializer):
    id = serializers.IntegerField()
    object = serializers.CharField(default="payout_method")
    payee = serializers.IntegerField()
    type = choice(METHOD_TYPES, "PayoutMethodType")
    currency = serializers.CharField()
    country = serializers.CharField()
    account_holder_name = serializers.CharField(allow_blank=True)
    details = serializers.DictField(
        child=serializers.CharField(),
        help_text="Fields safe to show, by type: routing_number and account_type; bic, "
        "bank_code and bank_name; wallet and identifier_type; brand and expiry; key_type; ...",
    )
    last4 = serializers.CharField(help_text="The last 4 characters of the account identifier")
    status = choice(MethodStatus.choices, "PayoutMethodStatus")
    created = serializers.DateTimeField()
    disabled_at = serializers.DateTimeField(allow_null=True)


MethodPage = page_of(MethodOut, "PayoutMethodPage")


def method_data(method: PayoutMethod) -> dict[str, Any]:
    """A payout method as the API shows it: never the encrypted values."""
    return {
        "id": method.id,
        "object": "payout_method",
        "payee": method.payee_id,
        "type": method.type,
        "currency": method.currency,
        "country": method.country,
        "account_holder_name": method.holder_name,
        "details": method.public,
        "last4": method.last4,
        "status": method.status,
        "created": when(method.created),
        "disabled_at": when(method.disabled_at),
    }
