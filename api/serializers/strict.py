"""Strict input, shared by the resources' serializers: strings must be JSON strings (never numbers
turned into text), unknown fields are refused rather than ignored, and nothing PostgreSQL would
refuse (NUL characters, unpaired surrogates) gets through. Error messages never quote the
submitted value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import Choice


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


# Every request body the API parses is a StrictSerializer (PlatformView.parse insists), so the
# rule is the same for every create and update: each unknown name is its own ``unknown_field``
# error (a misspelt ``scheduled_for`` must not pay out at once). Its docstring is public: the
# schema shows it on each body that does not say more.
class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not define, so that a typo is never silently ignored."""

    def unknown_fields(self, data: Mapping[Any, Any]) -> list[str]:
        """The names in ``data`` this body does not take, fit to echo, sorted."""
        return sorted(safe_name(str(name)) for name in data if name not in self.fields)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = self.unknown_fields(data)
            if unknown:
                allowed = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {name: [f"unknown field; allowed: {allowed}"] for name in unknown},
                    code="unknown_field",
                )
        return super().to_internal_value(data)
