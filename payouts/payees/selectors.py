"""Reads about payees: one payee, the payee list and their payout methods."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.db.models import Model, QuerySet

from core.db import rows
from core.errors import NotFound
from payouts.common.errors import MethodNotFound, PayeeNotFound
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform

ModelT = TypeVar("ModelT", bound=Model)


def payee_missing(payee_id: object) -> PayeeNotFound:
    """The error for a payee id that names none of the platform's payees (whatever its shape)."""
    return PayeeNotFound(f"payee {payee_id} does not exist", field="payee")


def method_missing(method_id: object) -> MethodNotFound:
    """The error for a method id that names none of the payee's payout methods."""
    return MethodNotFound(f"payout method {method_id} does not exist", field="payout_method")


def _child(
    model: type[ModelT], parent: str, parent_id: int, object_id: object, missing: NotFound
) -> ModelT:
    """The row ``object_id`` of ``model`` whose ``parent`` column is ``parent_id``, else
    ``missing`` (also for an id of the wrong shape)."""
    if not isinstance(object_id, int) or isinstance(object_id, bool) or object_id <= 0:
        raise missing
    found = rows.first(model, f"{parent} = %s AND id = %s", [parent_id, object_id])
    if found is None:
        raise missing
    return found


def payee_get(*, platform: Platform, payee_id: object) -> Payee:
    """A payee of this platform; another platform's payee is ``PayeeNotFound`` like a missing
    one."""
    return _child(Payee, "platform_id", platform.id, payee_id, payee_missing(payee_id))


def payee_method_get(*, payee: Payee, method_id: object) -> PayoutMethod:
    """One of this payee's payout methods, disabled or not; another payee's method is
    ``MethodNotFound`` like a missing one."""
    return _child(PayoutMethod, "payee_id", payee.id, method_id, method_missing(method_id))


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
        raise method_missing(method_id)
    return method
