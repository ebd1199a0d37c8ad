"""The ledger's Celery tasks. Beat runs ``ledger.verify`` hourly (``ledger-verify-hourly``)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from ledger import selectors

logger = logging.getLogger(__name__)


# It runs on the "ledger" queue through CELERY_TASK_ROUTES ("ledger.*"): Celery 5.5 deprecated the
# task's own ``queue`` attribute, and 6.0 will ignore it.
@shared_task(
    name="ledger.verify",
    acks_late=True,
    serializer="json",
    ignore_result=False,
    # Read-only, so a retry or a redelivery is harmless; a database blip is worth a few retries.
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
)
def ledger_verify() -> dict[str, int]:
    """Re-derive every book from its postings (``ledger_drift``); log each drift at ERROR level.

    Returns ``{"books": n, "drifts": m}``. A drift is a broken invariant, so it is logged for
    alerting rather than raised: the other books are still checked.
    """
    books = selectors.book_list()
    drifts = 0
    for book in books:
        for drift in selectors.ledger_drift(book_id=book.id):
            drifts += 1
            logger.error(
                "ledger drift in book %s (id %s): %s: %s: %s",
                book.code,
                book.id,
                drift.kind,
                drift.subject,
                drift.detail,
            )
    if drifts:
        logger.error("ledger.verify: %d books checked, %d drifts", len(books), drifts)
    else:
        logger.info("ledger.verify: %d books checked, no drift", len(books))
    return {"books": len(books), "drifts": drifts}
