"""Platforms (tenants), their API keys and fee schedules."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from core.db import rows
from core.db.names import table
from core.errors import InvalidInput
from ledger import errors as ledger_errors
from ledger import services as ledger
from ledger.money import AmountLike, currency_exponent, from_minor, to_minor
from payouts.common.accounts import platform_accounts_open
from payouts.common.errors import InvalidApiKey
from payouts.platforms.models import (
    ApiKey,
    FeeBearer,
    FeeRule,
    Platform,
    ScheduleFrequency,
    Threshold,
    ThresholdKind,
)
from rails.routing import route_default_install

KEY_PREFIX = "sk_"
PREFIX_LENGTH = len(KEY_PREFIX) + 12  # sk_ and 12 hex digits
ALL_SCOPES = ("payees", "payouts", "funds", "ledger", "webhooks")
DEFAULT_RAIL = "sandbox"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # shown once, never stored


def platform_create(
    *,
    name: str,
    currencies: list[str],
    code: str = "",
    fee_bearer: str = FeeBearer.PAYEE,
    approval_thresholds: Mapping[str, AmountLike] | None = None,
    review_thresholds: Mapping[str, AmountLike] | None = None,
    default_schedule: str = ScheduleFrequency.MANUAL,
) -> Platform:
    """Create a platform with its own ledger book and chart of accounts in each currency, and a
    default fee schedule for the sandbox rail. Raises ``InvalidInput`` for a blank name, an
    unknown currency or setting, or a code already taken."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("a platform name is 1 to 200 characters", field="name")
    code = slugify(code or name)[:64]
    if not code:
        raise InvalidInput("the platform code must contain letters or digits", field="code")
    currencies = sorted({str(c).upper() for c in currencies}) if currencies else []
    if not currencies:
        raise InvalidInput("a platform needs at least one currency", field="currencies")
    for currency in currencies:
        currency_exponent(currency)
    if fee_bearer not in FeeBearer.values:
        raise InvalidInput(
            f"fee_bearer is one of {', '.join(FeeBearer.values)}", field="fee_bearer"
        )
    if default_schedule not in ScheduleFrequency.values:
        raise InvalidInput("unknown default_schedule", field="default_schedule")
    thresholds = [
        *_thresholds(ThresholdKind.APPROVAL, approval_thresholds or {}),
        *_thresholds(ThresholdKind.REVIEW, review_thresholds or {}),
    ]
    with transaction.atomic():
        if Platform.objects.filter(code=code).exists():
            raise InvalidInput(f"a platform with code {code} exists", field="code", code=code)
        book = ledger.book_open(code=f"platform:{code}", name=name)
        platform = Platform.objects.create(
            name=name,
            code=code,
            book_id=book.id,
            currencies=currencies,
            fee_bearer=fee_bearer,
            default_schedule=default_schedule,
        )
        for threshold in thresholds:
            threshold.platform = platform
        Threshold.objects.bulk_create(thresholds)
        route_default_install()
        for currency in currencies:
            platform_accounts_open(book_id=book.id, currency=currency, rails=[DEFAULT_RAIL])
            # A starting schedule (25 minor units standard; 50 plus 1% instant), edited in the
            # admin or with fee_rule_set.
            for speed, fixed_minor, percent in (("standard", 25, "0"), ("instant", 50, "1.0")):
                FeeRule.objects.create(
                    platform=platform,
                    rail=DEFAULT_RAIL,
                    speed=speed,
                    currency=currency,
                    fixed=from_minor(fixed_minor, currency),
                    percent=Decimal(percent),
                    minimum=from_minor(0, currency),
                )
    return platform


def _thresholds(kind: str, raw: Mapping[str, AmountLike]) -> list[Threshold]:
    """Unsaved thresholds of one kind from {currency: amount}; each amount is exact in its
    currency and positive, or ``InvalidInput`` names the field."""
    field = f"{kind}_thresholds"
    checked = []
    for currency, amount in raw.items():
        try:
            minor = to_minor(str(amount) if isinstance(amount, float) else amount, str(currency))
        except (ledger_errors.InvalidAmount, ledger_errors.InvalidCurrency) as exc:
            raise InvalidInput(f"{field}: {exc.message}", field=field) from None
        if minor <= 0:
            raise InvalidInput(f"a {kind} threshold is positive", field=field)
        checked.append(
            Threshold(kind=kind, currency=str(currency), amount=from_minor(minor, str(currency)))
        )
    return checked


def fee_rule_set(
    *,
    platform: Platform,
    rail: str,
    speed: str,
    currency: str,
    fixed: AmountLike,
    percent: str,
    minimum: AmountLike = 0,
    maximum: AmountLike | None = None,
) -> FeeRule:
    """Set (create or replace) one line of a platform's fee schedule: ``fixed`` plus ``percent``
    of the amount, at least ``minimum`` and at most ``maximum`` (no cap when None). Amounts are
    decimal strings or Money in ``currency``, exact to its minor unit."""
    try:
        pct = Decimal(percent)
    except InvalidOperation:
        raise InvalidInput("percent must be a decimal number", field="percent") from None
    if not pct.is_finite() or not 0 <= pct < 100:
        raise InvalidInput("percent is at least 0 and below 100", field="percent")
    amounts: dict[str, Decimal | None] = {}
    for field, value in (("fixed", fixed), ("minimum", minimum), ("maximum", maximum)):
        if value is None:
            amounts[field] = None
            continue
        minor = to_minor(value, currency)
        if minor < 0:
            raise InvalidInput(f"the {field} fee is not negative", field=field)
        amounts[field] = from_minor(minor, currency)
    rule, _ = FeeRule.objects.update_or_create(
        platform=platform,
        rail=rail,
        speed=speed,
        currency=currency,
        defaults={**amounts, "percent": pct},
    )
    return rule


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *, platform: Platform, name: str = "", scopes: list[str] | None = None
) -> IssuedKey:
    """Issue a new key. Only its SHA-256 is stored (the secret is 256 random bits, so a fast
    hash is enough); the returned ``secret`` is the only time it is ever shown."""
    scopes = list(scopes or ALL_SCOPES)
    unknown = set(scopes) - set(ALL_SCOPES)
    if unknown:
        raise InvalidInput(f"unknown scopes: {', '.join(sorted(unknown))}", field="scopes")
    for _ in range(3):
        prefix = KEY_PREFIX + secrets.token_hex(6)
        secret = f"{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    platform=platform,
                    name=name,
                    prefix=prefix,
                    key_hash=_hash(secret),
                    scopes=scopes,
                )
        except IntegrityError:
            continue  # a prefix collision: draw again
        return IssuedKey(api_key=key, secret=secret)
    raise AssertionError("could not draw a unique key prefix")


def api_key_revoke(*, prefix: str) -> ApiKey:
    """Revoke a key at once; revoking twice keeps the first time."""
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None:
        raise InvalidApiKey(f"no API key {prefix}", prefix=prefix)
    if key.revoked_at is None:
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        key.refresh_from_db()
    return key


def _key_with_platform(prefix: str) -> ApiKey | None:
    """The key with this prefix and its platform, in one hand-written query: this runs on every
    API request, and building the ORM's join costs more than the query itself."""
    key_columns = rows.columns(ApiKey, "k")
    selected = ", ".join(key_columns + rows.columns(Platform, "p"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {selected} FROM {table(ApiKey)} k"
            f" JOIN {table(Platform)} p ON p.id = k.platform_id WHERE k.prefix = %s",
            [prefix],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    key = rows.loaded(ApiKey, row[: len(key_columns)])
    key.platform = rows.loaded(Platform, row[len(key_columns) :])
    return key


def api_key_authenticate(*, secret: str) -> ApiKey:
    """The active key for a presented secret, or ``InvalidApiKey`` (unknown, malformed or
    revoked: the same answer, so a caller learns nothing)."""
    secret = secret if isinstance(secret, str) else ""
    prefix = secret[:PREFIX_LENGTH]
    is_well_formed = (
        secret.startswith(KEY_PREFIX) and secret[PREFIX_LENGTH : PREFIX_LENGTH + 1] == "_"
    )
    key = _key_with_platform(prefix) if is_well_formed else None
    if (
        key is None
        or key.revoked_at is not None
        or not hmac.compare_digest(key.key_hash, _hash(secret))
    ):
        raise InvalidApiKey("invalid or revoked API key")
    return key
