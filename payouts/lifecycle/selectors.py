"""Reads of payouts, each scoped to one platform: the payout list, one payout, its history."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from core.db.lookup import narrowed, one_of
from payouts.common.errors import PayoutNotFound
from payouts.lifecycle.models import Payout, PayoutTransition


def _payouts(platform_id: int) -> QuerySet[Payout]:
    # The method and the transitions (which give the ledger entries) are shown with each payout.
    return (
        Payout.objects.filter(platform_id=platform_id)
        .select_related("method")
        .prefetch_related("transitions")
    )


def payout_list(
    *,
    platform_id: int,
    status: str | None = None,
    payee: int | None = None,
    batch: int | None = None,
    created_gte: dt.datetime | None = None,
    created_lte: dt.datetime | None = None,
) -> QuerySet[Payout]:
    """A platform's payouts, narrowed by whichever filters are given, with their methods and
    transitions loaded."""
    return narrowed(
        _payouts(platform_id),
        status=status,
        payee_id=payee,
        batch_id=batch,
        created__gte=created_gte,
        created__lte=created_lte,
    )


def payout_get(*, platform_id: int, payout_id: object) -> Payout:
    """A payout of this platform, with its method and transitions loaded. Raises
    ``PayoutNotFound``, also for another platform's payout."""
    return one_of(_payouts(platform_id), payout_id, error=PayoutNotFound, what="payout")


def payout_transitions(*, platform_id: int, payout_id: object) -> list[PayoutTransition]:
    """A payout's status history, oldest first. Raises ``PayoutNotFound`` like ``payout_get``."""
    payout = payout_get(platform_id=platform_id, payout_id=payout_id)
    return sorted(payout.transitions.all(), key=lambda t: t.id)
