"""Money in: a platform's fundings and the earnings it credits to payees."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.db.bulk import rows_update
from core.errors import InvalidInput
from ledger import errors as ledger_errors
from ledger import services as ledger
from ledger.types import Direction, EntrySpec, Line
from payouts.common.accounts import (
    account_id,
    available_code,
    payee_accounts_open,
    prefetch,
)
from payouts.common.errors import DuplicateReference, PayeeNotFound, insufficient_funds
from payouts.funds.models import Earning, Funding, FundingStatus
from payouts.payees.models import Payee
from payouts.payees.selectors import payee_get
from payouts.platforms.amounts import amount_minor, platform_currency
from payouts.platforms.models import Platform


def _move(debit_id: int, credit_id: int, minor: int, currency: str) -> list[Line]:
    """The two lines of a plain transfer of ``minor`` between two accounts."""
    return [
        Line(account_id=debit_id, direction=Direction.DEBIT, amount_minor=minor, currency=currency),
        Line(
            account_id=credit_id, direction=Direction.CREDIT, amount_minor=minor, currency=currency
        ),
    ]


def funding_create(
    *, platform: Platform, amount: object, currency: object, reference: str, actor: str
) -> Funding:
    """Record money arriving for the platform and post it (cash -> funding). In the sandbox a
    funding is confirmed at once. ``reference`` is unique per platform (``DuplicateReference``).
    Raises ``InvalidAmount``/``UnsupportedCurrency`` for bad input."""
    currency = platform_currency(platform, currency)
    minor = amount_minor(amount, currency)
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 200:
        raise InvalidInput("reference is 1 to 200 characters", field="reference")
    try:
        with transaction.atomic():
            funding = Funding.objects.create(
                platform=platform,
                amount_minor=minor,
                currency=currency,
                reference=reference.strip(),
                created_by=actor[:200],
            )
            entry = ledger.entry_post(
                book_id=platform.book_id,
                kind="funding.received",
                idempotency_key=f"funding:{funding.id}",
                lines=_move(
                    account_id(book_id=platform.book_id, code="cash", currency=currency),
                    account_id(book_id=platform.book_id, code="funding", currency=currency),
                    minor,
                    currency,
                ),
                memo=f"funding {funding.reference}",
                refs={"funding": funding.id},
            )
            funding.entry_id = entry.id
            funding.status = FundingStatus.CONFIRMED
            funding.confirmed_at = timezone.now()
            funding.save(update_fields=["entry_id", "status", "confirmed_at"])
    except IntegrityError:
        raise DuplicateReference(
            f"a funding with reference {reference} exists", field="reference"
        ) from None
    return funding


def earning_create(
    *,
    platform: Platform,
    payee_id: object,
    amount: object,
    currency: object,
    description: str = "",
    actor: str,
) -> Earning:
    """Credit a payee's available balance from the platform's funding. Raises
    ``InsufficientFunds`` when the funding balance cannot cover it (nothing moves),
    ``PayeeNotFound``, ``InvalidAmount``, ``UnsupportedCurrency``."""
    payee = payee_get(platform=platform, payee_id=payee_id)
    currency = platform_currency(platform, currency)
    minor = amount_minor(amount, currency)
    if not isinstance(description, str) or len(description) > 500:
        raise InvalidInput("description is at most 500 characters", field="description")
    book_id = platform.book_id
    with transaction.atomic():
        earning = Earning(
            platform=platform,
            payee=payee,
            amount_minor=minor,
            currency=currency,
            description=description,
            created_by=actor[:200],
            entry_id=0,
        )
        earning.save()
        try:
            entry = ledger.entry_post(
                book_id=book_id,
                kind="earning.credited",
                idempotency_key=f"earning:{earning.id}",
                lines=_move(
                    account_id(book_id=book_id, code="funding", currency=currency),
                    account_id(book_id=book_id, code=available_code(payee.id), currency=currency),
                    minor,
                    currency,
                ),
                memo=description or f"earning for payee {payee.external_id}",
                refs={"earning": earning.id, "payee": payee.id},
            )
        except ledger_errors.BelowFloor as exc:
            raise insufficient_funds(
                exc,
                "the platform's funding balance does not cover this earning",
                details=("currency", "balance"),
            ) from None
        Earning.objects.filter(pk=earning.pk).update(entry_id=entry.id)
        earning.entry_id = entry.id
    return earning


def earnings_create_many(
    *,
    platform: Platform,
    currency: object,
    items: list[tuple[int, object]],
    description: str = "",
    actor: str,
) -> int:
    """Credit many payees at once ``[(payee_id, amount), ...]``: all of them, or none (one
    transaction, one ledger statement). Raises ``InsufficientFunds`` when the funding balance
    cannot cover the total, ``PayeeNotFound`` for a payee not on this platform, and the amount
    errors of ``earning_create``. Returns how many were credited."""
    code = platform_currency(platform, currency)
    minors = [(payee_id, amount_minor(amount, code)) for payee_id, amount in items]
    ids = {payee_id for payee_id, _ in minors}
    known = set(Payee.objects.filter(platform=platform, pk__in=ids).values_list("pk", flat=True))
    if missing := ids - known:
        raise PayeeNotFound(f"payee {min(missing)} does not exist", field="payee")
    book_id = platform.book_id
    funding = account_id(book_id=book_id, code="funding", currency=code)
    payee_accounts_open(book_id=book_id, currency=code, payee_ids=sorted(ids))
    prefetch(book_id=book_id, currency=code, codes={available_code(p) for p in ids})
    with transaction.atomic():
        earnings = Earning.objects.bulk_create(
            [
                Earning(
                    platform=platform,
                    payee_id=payee_id,
                    amount_minor=minor,
                    currency=code,
                    description=description,
                    created_by=actor[:200],
                    entry_id=0,
                )
                for payee_id, minor in minors
            ],
            batch_size=5000,
        )
        specs = [
            EntrySpec(
                book_id=book_id,
                kind="earning.credited",
                idempotency_key=f"earning:{e.id}",
                lines=_move(
                    funding,
                    account_id(book_id=book_id, code=available_code(e.payee_id), currency=code),
                    e.amount_minor,
                    code,
                ),
                memo=description or "earning",
                refs={"earning": e.id, "payee": e.payee_id},
            )
            for e in earnings
        ]
        try:
            posted = ledger.entries_post(entries=specs)
        except ledger_errors.BelowFloor as exc:
            raise insufficient_funds(
                exc,
                "the platform's funding balance does not cover these earnings",
                details=("currency", "balance"),
            ) from None
        for earning, info in zip(earnings, posted, strict=True):
            earning.entry_id = info.id
        rows_update(
            Earning,
            ids=[e.id for e in earnings],
            columns={"entry_id": [e.entry_id for e in earnings]},
        )
    return len(earnings)
