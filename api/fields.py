"""Serializer fields shared by the API: amounts as decimal strings, ids, currencies."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_ID = 2**63 - 1
_AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]{1,18})?")


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^[0-9]{1,15}(\.[0-9]{1,18})?$",
        "example": "25.00",
        "description": "A positive decimal string in major units, with at most the currency's "
        "number of decimals. JSON numbers are refused.",
    }
)
class AmountField(serializers.Field):
    """A decimal string. The currency's exponent is checked by the service, which knows it."""

    default_error_messages = {
        "not_a_string": 'amounts are JSON strings such as "25.00", not numbers',
        "invalid": 'not a decimal amount such as "25.00"',
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        if not _AMOUNT.fullmatch(data):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> str:
        return str(value)


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


@extend_schema_field(
    {"type": "string", "pattern": "^[A-Z]{3}$", "example": "USD", "description": "ISO 4217"}
)
class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_length=3, max_length=3, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise serializers.ValidationError("an ISO 4217 code in capitals, such as USD")
        return value


def enum_schema(choices: Any) -> dict[str, Any]:
    """The OpenAPI schema of a string enum of ``choices`` (``TextChoices.choices``)."""
    return {"type": "string", "enum": [value for value, _ in choices]}


_ = OpenApiTypes  # re-exported for views that document plain types


class Text(serializers.CharField):
    """A JSON string, trimmed; a number is refused (DRF's CharField would turn 12 into "12").
    NUL and surrogate characters are refused by the validators CharField always adds."""

    default_error_messages = {"not_a_string": "must be a JSON string"}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return str(super().to_internal_value(data))


class Choice(serializers.ChoiceField):
    """One of fixed strings; the error lists them instead of quoting the input."""

    default_error_messages = {
        "not_a_string": "must be a JSON string",
        "invalid_choice": "must be one of: {choices}",
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        if data not in self.choice_strings_to_values:
            self.fail("invalid_choice", choices=", ".join(self.choice_strings_to_values))
        return str(self.choice_strings_to_values[data])
