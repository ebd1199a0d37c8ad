"""Payees and their payout methods."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.crypto import fingerprint
from core.db.ids import ids_reserve
from core.errors import InvalidInput, require_id
from payouts.common.errors import DuplicatePayee
from payouts.payees import events
from payouts.payees.models import (
    MethodStatus,
    Payee,
    PayeeStatus,
    PayeeType,
    PayoutMethod,
    PayoutMethodChange,
    PayoutSchedule,
)
from payouts.payees.names import legal_name_clean
from payouts.payees.schedules import schedule_set
from payouts.payees.secrets import method_secret_seal
from payouts.payees.selectors import method_missing, payee_get
from payouts.platforms.models import Platform, ScheduleFrequency
from rails.methods import method_validate

PAYEE_FIELDS = ("type", "legal_name", "email", "country", "kyc_tier", "tax_profile", "metadata")


def _country(value: object) -> str:
    import pycountry

    if (
        not isinstance(value, str)
        or len(value) != 2
        or pycountry.countries.get(alpha_2=value.upper()) is None
    ):
        raise InvalidInput("country is an ISO 3166-1 alpha-2 code", field="country")
    return value.upper()


def _clean_payee(fields: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "type" in fields:
        if fields["type"] not in PayeeType.values:
            raise InvalidInput(f"type is one of {', '.join(PayeeType.values)}", field="type")
        clean["type"] = fields["type"]
    if "legal_name" in fields:
        clean["legal_name"] = legal_name_clean(fields["legal_name"])
    if "email" in fields:
        email = fields["email"] or ""
        try:
            if email:
                validate_email(email)
        except (ValidationError, TypeError):
            raise InvalidInput("email is not a valid address", field="email") from None
        clean["email"] = email
    if "country" in fields:
        clean["country"] = _country(fields["country"])
    for name in ("kyc_tier",):
        if name in fields:
            if not isinstance(fields[name], str) or len(fields[name]) > 32:
                raise InvalidInput(f"{name} is a short string", field=name)
            clean[name] = fields[name]
    for name in ("tax_profile", "metadata"):
        if name in fields:
            if not isinstance(fields[name], dict):
                raise InvalidInput(f"{name} is a JSON object", field=name)
            clean[name] = fields[name]
    return clean


def payee_create(*, platform: Platform, external_id: str, **fields: Any) -> Payee:
    """Create a payee. ``external_id`` is unique per platform: ``DuplicatePayee`` otherwise.
    Raises ``InvalidInput`` naming the field for a bad type, name, email or country."""
    if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > 128:
        raise InvalidInput("external_id is 1 to 128 characters", field="external_id")
    unknown = set(fields) - set(PAYEE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", fields=sorted(unknown))
    for required in ("type", "legal_name", "country"):
        if required not in fields:
            raise InvalidInput(f"{required} is required", field=required)
    clean = _clean_payee(fields)
    try:
        with transaction.atomic():
            return Payee.objects.create(platform=platform, external_id=external_id.strip(), **clean)
    except IntegrityError:
        raise DuplicatePayee(
            f"a payee with external_id {external_id} exists", field="external_id"
        ) from None


def payee_update(
    *, platform: Platform, payee_id: int, status: str | None = None, **fields: Any
) -> Payee:
    """Change a payee's details or status (active, blocked, archived); a ``payee.updated``
    event is written with any actual change."""
    unknown = set(fields) - set(PAYEE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", fields=sorted(unknown))
    clean = _clean_payee(fields)
    if status is not None:
        if status not in PayeeStatus.values:
            raise InvalidInput(f"status is one of {', '.join(PayeeStatus.values)}", field="status")
        clean["status"] = status
    with transaction.atomic():
        payee = payee_get(platform=platform, payee_id=payee_id)
        payee = Payee.objects.select_for_update().get(pk=payee.pk)
        changed = any(getattr(payee, name) != value for name, value in clean.items())
        for name, value in clean.items():
            setattr(payee, name, value)
        payee.save()
        if changed:
            events.payee_updated_emit(payee=payee)
    return payee


def method_add(
    *,
    platform: Platform,
    payee_id: int,
    type: str,
    currency: str,
    fields: Mapping[str, object],
    actor: str,
) -> PayoutMethod:
    """Validate and store a payout method; sensitive values are encrypted and only the last 4
    are kept in clear; a ``payee.updated`` event is written. Raises the validators'
    ``InvalidMethod`` errors (each naming the field), ``PayeeNotFound``."""
    payee = payee_get(platform=platform, payee_id=payee_id)
    if not isinstance(currency, str):
        raise InvalidInput("currency is an ISO 4217 code", field="currency")
    valid = method_validate(
        type=type,
        currency=currency,
        fields=fields,
        payee_country=payee.country,
        payee_name=payee.legal_name,
    )
    with transaction.atomic():
        # Locked for the event's sequence number.
        payee = Payee.objects.select_for_update(no_key=True).get(pk=payee.pk)
        # The id first: the token is bound to the row that stores it (payouts.payees.secrets).
        (method_id,) = ids_reserve(PayoutMethod)
        method = PayoutMethod.objects.create(
            pk=method_id,
            payee=payee,
            type=valid.type,
            currency=valid.currency,
            country=valid.country,
            holder_name=valid.holder_name or payee.legal_name,
            secret_encrypted=method_secret_seal(method_id, valid.secret),
            public=valid.public,
            last4=valid.last4,
            fingerprint=fingerprint(valid.fingerprint_source),
        )
        _record(method, "created", actor)
        _default_schedule(platform, payee, method, actor)
        events.payee_updated_emit(payee=payee)
    return method


def _default_schedule(platform: Platform, payee: Payee, method: PayoutMethod, actor: str) -> None:
    """A payee's first method in a currency gets the platform's default schedule (none when the
    default is manual, or when the payee already has a schedule in that currency)."""
    if (
        platform.default_schedule == ScheduleFrequency.MANUAL
        or payee.status != PayeeStatus.ACTIVE
        or method.currency not in platform.currencies
        or PayoutSchedule.objects.filter(payee=payee, currency=method.currency).exists()
    ):
        return
    schedule_set(
        platform=platform,
        payee_id=payee.id,
        method_id=method.id,
        currency=method.currency,
        frequency=platform.default_schedule,
        minimum="0",
        actor=actor,
    )


def method_disable(
    *, platform: Platform, payee_id: int, method_id: int, actor: str, reason: str = ""
) -> PayoutMethod:
    """Disable a method; it stays on record with its history (payouts already made keep it).
    A ``payee.updated`` event is written when it was enabled."""
    payee = payee_get(platform=platform, payee_id=payee_id)
    with transaction.atomic():
        # Payee before method, as method_add; locked for the event's sequence number.
        payee = Payee.objects.select_for_update(no_key=True).get(pk=payee.pk)
        method = (
            PayoutMethod.objects.select_for_update()
            .filter(payee=payee, pk=require_id(method_id, "method_id"))
            .first()
        )
        if method is None:
            raise method_missing(method_id)
        if method.status != MethodStatus.DISABLED:
            method.status = MethodStatus.DISABLED
            method.disabled_at = timezone.now()
            method.save(update_fields=["status", "disabled_at"])
            _record(method, "disabled", actor, reason)
            events.payee_updated_emit(payee=payee)
    return method


def _record(method: PayoutMethod, action: str, actor: str, reason: str = "") -> None:
    PayoutMethodChange.objects.create(
        method=method,
        action=action,
        actor=actor[:200],
        reason=reason[:500],
        snapshot={
            "type": method.type,
            "currency": method.currency,
            "country": method.country,
            "last4": method.last4,
            "public": method.public,
            "status": method.status,
        },
    )
