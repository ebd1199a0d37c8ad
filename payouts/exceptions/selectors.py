"""Reads of the operations exception queue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from payouts.exceptions.models import OperationsException


def exception_list(*, status: str = "", kind: str = "") -> QuerySet[OperationsException]:
    """Exceptions, newest first; ``status`` and ``kind`` filter when given."""
    found = OperationsException.objects.all()
    if status:
        found = found.filter(status=status)
    if kind:
        found = found.filter(kind=kind)
    return found.order_by("-id")


def exception_represent(exception: OperationsException) -> dict[str, Any]:
    """One exception as plain data (the management command prints it as a JSON line)."""
    return {
        "id": exception.id,
        "kind": exception.kind,
        "status": exception.status,
        "payout": exception.payout_id,
        "attempt": exception.attempt_id,
        "provider_event": exception.provider_event_id,
        "platform": exception.platform_id,
        "detail": exception.detail,
        "data": exception.data,
        "entry": exception.entry_id,
        "created": exception.created.isoformat(),
        "resolved_at": exception.resolved_at.isoformat() if exception.resolved_at else None,
        "resolved_by": exception.resolved_by,
        "resolution": exception.resolution,
    }
