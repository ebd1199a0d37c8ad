"""Reads about payees: one payee, the payee list and their payout methods."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from core import rows
from payouts.common.errors import MethodNotFound, PayeeNotFound
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform


def payee_get(*, platform: Platform, payee_id: object) -> Payee:
    """A payee of this platform; another platform's payee is ``PayeeNotFound`` like a missing
    one."""
    if not isinstance(payee_id, int) or isinstance(payee_id, bool) or payee_id <= 0:
        raise PayeeNotFound(f"payee {payee_id} does not exist", field="payee")
    payee = rows.first(Payee, "platform_id = %s AND id = %s", [platform.id, payee_id])
    if payee is None:
        raise PayeeNotFound(f"payee {payee_id} does not exist", field="payee")
    return payee


def payee_list(
    *,
    platform_id: int,
    status: str | None = None,
    external_id: str | None = None,
    created_gte: dt.datetime | None = None,
    created_lte: dt.datetime | None = None,
) -> QuerySet[Payee]:
    """A platform's payees, narrowed by whichever filters are given."""
    payees = Payee.objects.filter(platform_id=platform_id)
    if status is not None:
        payees = payees.filter(status=status)
    if external_id is not None:
        payees = payees.filter(external_id=external_id)
    if created_gte is not None:
        payees = payees.filter(created__gte=created_gte)
    if created_lte is not None:
        payees = payees.filter(created__lte=created_lte)
    return payees


def method_list(
    *,
    platform: Platform,
    payee_id: int,
    status: str | None = None,
    currency: str | None = None,
) -> QuerySet[PayoutMethod]:
    """A payee's payout methods, disabled ones included unless ``status`` says otherwise.
    Raises ``PayeeNotFound`` for a payee that is not this platform's."""
    payee = payee_get(platform=platform, payee_id=payee_id)
    methods = PayoutMethod.objects.filter(payee_id=payee.id)
    if status is not None:
        methods = methods.filter(status=status)
    if currency is not None:
        methods = methods.filter(currency=currency)
    return methods


def method_get(*, platform: Platform, payee_id: int, method_id: int) -> PayoutMethod:
    """One payout method of one of this platform's payees. Raises ``PayeeNotFound`` when the
    payee is not this platform's, ``MethodNotFound`` when the method is not that payee's."""
    method = PayoutMethod.objects.filter(
        pk=method_id, payee_id=payee_id, payee__platform_id=platform.id
    ).first()
    if method is None:
        payee_get(platform=platform, payee_id=payee_id)
        raise MethodNotFound(f"payout method {method_id} does not exist", field="payout_method")
    return method
