"""Payees: the create and update bodies, the list filters, the rendered payee, its balances and
its payability.

Input is strict: strings must be JSON strings (never numbers turned into text), unknown fields
are refused rather than ignored, and nothing PostgreSQL would refuse (NUL characters, unpaired
surrogates) gets through. Error messages never quote the submitted value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import Choice, CurrencyField, Text
from api.serializers.common import AmountOut, money, page_of, when
from payouts.payees.models import Payee, PayeeStatus, PayeeType

METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 40
METADATA_VALUE_MAX_LENGTH = 500


def has_bad_characters(value: str) -> bool:
    """NUL (PostgreSQL text and jsonb refuse it) or an unpaired surrogate (not UTF-8)."""
    return "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value)


def safe_name(name: str) -> str:
    """A submitted field name fit to echo in an error: unprintable characters escaped."""
    if name.isprintable() and not has_bad_characters(name):
        return name
    return name.encode("unicode_escape").decode("ascii")


_CHOICE_CLASSES: dict[str, type[Choice]] = {}


def choice(choices: list[tuple[str, str]], component: str = "", **kwargs: Any) -> Choice:
    """A ``Choice``; with ``component``, documented as that named enum (fields named "status"
    or "type" have other choice sets on other resources, whose generated names would collide)."""
    if not component:
        return Choice(choices=choices, **kwargs)
    if component not in _CHOICE_CLASSES:
        schema = {"type": "string", "enum": [value for value, _ in choices]}
        _CHOICE_CLASSES[component] = extend_schema_field(schema, component_name=component)(
            type(f"{component}Choice", (Choice,), {})
        )
    return _CHOICE_CLASSES[component](choices=choices, **kwargs)


@extend_schema_field(
    {"type": "string", "pattern": "^[A-Za-z]{2}$", "example": "US", "description": "ISO 3166-1"}
)
class CountryField(Text):
    default_error_messages = {"invalid_country": "must be an ISO 3166-1 alpha-2 country code"}

    def to_internal_value(self, data: Any) -> str:
        import pycountry

        value = super().to_internal_value(data).upper()
        if len(value) != 2 or not value.isascii() or pycountry.countries.get(alpha_2=value) is None:
            self.fail("invalid_country")
        return value


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": METADATA_MAX_KEYS,
        "additionalProperties": {"type": "string", "maxLength": METADATA_VALUE_MAX_LENGTH},
        "example": {"driver_id": "17"},
        "description": f"Your own data: at most {METADATA_MAX_KEYS} string keys of 1 to "
        f"{METADATA_KEY_MAX_LENGTH} characters with string values of at most "
        f"{METADATA_VALUE_MAX_LENGTH} characters; no NUL characters.",
    }
)
class MetadataField(serializers.Field):
    """A flat JSON object of strings, small enough to store and show with every payee."""

    default_error_messages = {
        "not_an_object": "must be a JSON object of string keys and string values",
        "too_many_keys": f"has more than {METADATA_MAX_KEYS} keys",
        "invalid_key": f"keys are 1 to {METADATA_KEY_MAX_LENGTH} characters",
        "not_a_string": "values must be JSON strings (the value of {name} is not)",
        "value_too_long": f"values are at most {METADATA_VALUE_MAX_LENGTH} characters "
        "(the value of {name} is longer)",
        "invalid_characters": "must not contain NUL characters or unpaired surrogates",
    }

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if not isinstance(data, Mapping):
            self.fail("not_an_object")
        if len(data) > METADATA_MAX_KEYS:
            self.fail("too_many_keys")
        clean: dict[str, str] = {}
        for key, value in data.items():
            if has_bad_characters(key) or (isinstance(value, str) and has_bad_characters(value)):
                self.fail("invalid_characters")
            if not 1 <= len(key) <= METADATA_KEY_MAX_LENGTH:
                self.fail("invalid_key")
            if not isinstance(value, str):
                self.fail("not_a_string", name=key)
            if len(value) > METADATA_VALUE_MAX_LENGTH:
                self.fail("value_too_long", name=key)
            clean[key] = value
        return clean

    def to_representation(self, value: Any) -> Any:
        return value


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not define, so that a typo is never silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(safe_name(str(name)) for name in data if name not in self.fields)
            if unknown:
                allowed = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {name: [f"unknown field; allowed: {allowed}"] for name in unknown},
                    code="unknown_field",
                )
        return super().to_internal_value(data)


# --- input ---------------------------------------------------------------------------------------


class PayeeCreate(StrictSerializer):
    external_id = Text(max_length=128, help_text="Your id for the payee; unique per platform")
    type = choice(PayeeType.choices, "PayeeType")
    name = Text(max_length=200, help_text="Legal name")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    country = CountryField()
    metadata = MetadataField(required=False)


class PayeeUpdate(StrictSerializer):
    name = Text(max_length=200, required=False, help_text="Legal name")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    country = CountryField(required=False)
    status = choice(PayeeStatus.choices, "PayeeStatus", required=False)
    metadata = MetadataField(required=False, help_text="Replaces the payee's whole metadata object")


class PayeeFilters(serializers.Serializer):
    status = choice(PayeeStatus.choices, "PayeeStatus", required=False)
    external_id = Text(max_length=128, required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lte = serializers.DateTimeField(required=False)


class PayabilityQuery(serializers.Serializer):
    currency = CurrencyField(required=False, help_text="Check payability in this currency only")


# --- output --------------------------------------------------------------------------------------


class PayeeOut(serializers.Serializer):
    id = serializers.IntegerField()
    object = serializers.CharField(default="payee")
    external_id = serializers.CharField()
    type = choice(PayeeType.choices, "PayeeType")
    name = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    country = serializers.CharField()
    status = choice(PayeeStatus.choices, "PayeeStatus")
    kyc_tier = serializers.CharField()
    metadata = serializers.DictField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


PayeePage = page_of(PayeeOut, "PayeePage")


def payee_data(payee: Payee) -> dict[str, Any]:
    """A payee as the API and its events show it."""
    return {
        "id": payee.id,
        "object": "payee",
        "external_id": payee.external_id,
        "type": payee.type,
        "name": payee.legal_name,
        "email": payee.email,
        "country": payee.country,
        "status": payee.status,
        "kyc_tier": payee.kyc_tier,
        "metadata": payee.metadata,
        "created": when(payee.created),
        "updated": when(payee.updated),
    }


class BalanceOut(serializers.Serializer):
    currency = serializers.CharField()
    available = AmountOut(help_text="Earnings that can be paid out now")
    held = AmountOut(help_text="Reserved by payouts not yet submitted")
    lifetime_paid = AmountOut(help_text="Net amount of payouts paid and not returned")


class BalanceList(serializers.Serializer):
    results = BalanceOut(many=True)


def balance_data(
    currency: str, available_minor: int, held_minor: int, lifetime_paid_minor: int
) -> dict[str, Any]:
    return {
        "currency": currency,
        "available": money(available_minor, currency),
        "held": money(held_minor, currency),
        "lifetime_paid": money(lifetime_paid_minor, currency),
    }


class BlockerOut(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable code: no_payout_method, payee_blocked, payee_archived, "
        "currency_not_supported (more are added over time)"
    )
    message = serializers.CharField()


class PayabilityOut(serializers.Serializer):
    payee = serializers.IntegerField()
    currency = serializers.CharField(allow_null=True)
    is_payable = serializers.BooleanField()
    blockers = BlockerOut(many=True)
