"""Opening and resolving operations exceptions (see models.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from core.db.names import table
from core.errors import DomainError, InvalidInput, require_id
from payouts.exceptions.models import ExceptionStatus, OperationsException


class ExceptionNotFound(DomainError):
    code = "exception_not_found"


class ExceptionAlreadyResolved(DomainError):
    code = "exception_already_resolved"


def exception_open(
    *,
    kind: str,
    key: str,
    detail: str,
    platform_id: int | None = None,
    payout_id: int | None = None,
    attempt_id: int | None = None,
    provider_event_id: int | None = None,
    data: Mapping[str, Any] | None = None,
    entry_id: int | None = None,
) -> tuple[OperationsException, bool]:
    """Open an exception in the caller's transaction, once per ``key``: the same key again
    returns the record already there (open or resolved) and False."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table(OperationsException)}
                  (kind, key, status, platform_id, payout_id, attempt_id, provider_event_id,
                   detail, data, entry_id, created, resolved_by, resolution)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, now(), '', '')
                ON CONFLICT (key) DO NOTHING
                RETURNING id
                """,
                [
                    kind,
                    key[:200],
                    ExceptionStatus.OPEN,
                    platform_id,
                    payout_id,
                    attempt_id,
                    provider_event_id,
                    detail,
                    _json(data or {}),
                    entry_id,
                ],
            )
            row = cursor.fetchone()
        found = OperationsException.objects.get(key=key[:200])
    return found, row is not None


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), sort_keys=True, default=str)


def exception_resolve(*, exception_id: object, actor: str, resolution: str) -> OperationsException:
    """Resolve an open exception, saying who and how (a note is required). Resolving moves no
    money: a correction the resolution calls for is its own entry, posted by its own service."""
    exception_id = require_id(exception_id, "exception")
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidInput("say how the exception was resolved", field="resolution")
    if not actor:
        raise InvalidInput("a resolution names who resolved it", field="actor")
    with transaction.atomic():
        found = OperationsException.objects.select_for_update().filter(pk=exception_id).first()
        if found is None:
            raise ExceptionNotFound(f"no exception {exception_id}", exception=exception_id)
        if found.status != ExceptionStatus.OPEN:
            raise ExceptionAlreadyResolved(
                f"exception {found.id} was resolved by {found.resolved_by}", exception=found.id
            )
        found.status = ExceptionStatus.RESOLVED
        found.resolved_at = timezone.now()
        found.resolved_by = actor[:200]
        found.resolution = resolution
        found.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    return found
