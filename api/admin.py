"""The API's idempotency keys in the Django admin, read-only."""

from __future__ import annotations

from django.contrib import admin

from api.models import IdempotencyKey
from core.admin import ReadOnlyAdmin


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("key", "platform", "method", "path", "response_status", "created")
    search_fields = ("key",)
