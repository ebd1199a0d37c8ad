"""Payees: the create and update bodies, the list filters and the rendered payee (its balances
and payability: ``payee_balances``). Input is strict (``api.serializers.strict``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import Text
from api.serializers.common import page_of
from api.serializers.strict import StrictSerializer, choice, has_bad_characters
from payouts.payees.models import Payee, PayeeStatus, PayeeType
from payouts.payees.names import BIDI_MESSAGE, NAME_MAX_LENGTH, has_bidi_controls
from payouts.payees.representation import payee_data

METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 40
METADATA_VALUE_MAX_LENGTH = 500


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


# --- input ---------------------------------------------------------------------------------------


class PayeeName(Text):
    """A legal name the rails can carry (``payouts.payees.names``): the limit and the refused
    characters are the domain's; checked here too so the error names the API's field."""

    default_error_messages = {"invalid_characters": BIDI_MESSAGE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", f"Legal name, at most {NAME_MAX_LENGTH} characters")
        super().__init__(max_length=NAME_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if has_bidi_controls(value):
            self.fail("invalid_characters")
        return value


class PayeeCreate(StrictSerializer):
    external_id = Text(max_length=128, help_text="Your id for the payee; unique per platform")
    type = choice(PayeeType.choices, "PayeeType")
    name = PayeeName()
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    country = CountryField()
    metadata = MetadataField(required=False)


class PayeeUpdate(StrictSerializer):
    name = PayeeName(required=False)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    country = CountryField(required=False)
    status = choice(PayeeStatus.choices, "PayeeStatus", required=False)
    metadata = MetadataField(required=False, help_text="Replaces the payee's whole metadata object")


class PayeeFilters(serializers.Serializer):
    status = choice(PayeeStatus.choices, "PayeeStatus", required=False)
    external_id = Text(max_length=128, required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lte = serializers.DateTimeField(required=False)


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

    def to_representation(self, instance: Payee) -> dict[str, Any]:
        # The fields above describe the shape for the schema; the payee's own representation,
        # the one its events carry, renders it.
        return payee_data(instance)


PayeePage = page_of(PayeeOut, "PayeePage")
