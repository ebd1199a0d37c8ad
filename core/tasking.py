"""Options shared by every Celery task: late acks, and retries with backoff when the database
connection fails (tasks are safe to run twice)."""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError

TASK_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "max_retries": 5,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}
