"""Shapes shared by every resource: problems, amounts, list envelopes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

AMOUNT_OUT = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "example": "25.00"}


@extend_schema_field(AMOUNT_OUT)
class AmountOut(serializers.CharField):
    pass


class FieldError(serializers.Serializer):
    field = serializers.CharField(help_text="The field at fault ('' for the request as a whole)")
    code = serializers.CharField()
    message = serializers.CharField()


class Problem(serializers.Serializer):
    """RFC 9457 problem details, with a stable ``code`` and the fields at fault."""

    type = serializers.CharField(help_text="urn:payouts:problem:<code>")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine-readable code")
    # Only describes the body for the schema, so shadowing Serializer.errors is harmless here.
    errors = FieldError(many=True)  # type: ignore[assignment]
    instance = serializers.CharField(required=False)
    request_id = serializers.CharField(required=False)
    details = serializers.DictField(required=False)
    retry_after_s = serializers.IntegerField(required=False)


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The list envelope ``{"next", "previous", "results"}`` around ``item``."""
    attrs: dict[str, Any] = {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    }
    return type(name, (serializers.Serializer,), attrs)
