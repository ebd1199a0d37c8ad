"""Liveness and readiness: ``/healthz`` checks the database and the broker.

Anyone can read it, so it names the dependency that failed and nothing more: an error's text
can carry host names, ports, user names or a server's version. The log has the whole error."""

from __future__ import annotations

import logging
import time

from django.db import connection
from django.db.utils import Error as DatabaseError
from django.http import HttpRequest, JsonResponse
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_S = 2


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check failed: database")
        return False
    return True


def _check_broker() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_S)
    except (BrokerError, OSError):
        logger.exception("health check failed: broker")
        return False
    return True


def healthz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: ("ok" if ok else "unavailable") for name, ok in checks.items()},
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if healthy else 503)
