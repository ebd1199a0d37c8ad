"""Plain dataclasses: what the ledger takes in and hands out. Other apps use only these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models

from ledger.money import from_minor


class Direction(models.TextChoices):
    """Debit or credit: the one word for the side of a line or a posting, everywhere. Its value
    is what the database stores ("D", "C")."""

    DEBIT = "D", "Debit"
    CREDIT = "C", "Credit"

    @property
    def word(self) -> str:
        """ "debit" or "credit", as the API and the exports spell it."""
        return "debit" if self is Direction.DEBIT else "credit"

    @property
    def opposite(self) -> Direction:
        return Direction.CREDIT if self is Direction.DEBIT else Direction.DEBIT


@dataclass(frozen=True)
class Line:
    """One side of an entry: ``amount_minor`` (a positive int of the account currency's minor
    units) debited or credited to an account. ``currency``, when given, must be the account's.

    Amounts people type in major units become minor units at the boundary, ``ledger.money``'s
    ``to_minor``, which refuses floats and more decimals than the currency has.
    """

    account_id: int
    direction: Direction
    amount_minor: int
    currency: str | None = None


@dataclass(frozen=True)
class EntrySpec:
    book_id: int
    kind: str
    lines: Sequence[Line]
    idempotency_key: str
    effective_date: dt.date | None = None
    memo: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BookInfo:
    id: int
    code: str
    name: str
    closed_through: dt.date | None


@dataclass(frozen=True)
class AccountInfo:
    id: int
    book_id: int
    code: str
    name: str
    currency: str
    type: str
    floor: Decimal | None
    balance: Decimal
    version: int
    shard_count: int = 1
    parent_id: int | None = None


@dataclass(frozen=True)
class PostingInfo:
    id: int
    account_id: int
    currency: str
    direction: Direction
    amount_minor: int
    balance_after_minor: int
    version_after: int

    @property
    def amount(self) -> Decimal:
        return from_minor(self.amount_minor, self.currency)

    @property
    def balance_after(self) -> Decimal:
        return from_minor(self.balance_after_minor, self.currency)


@dataclass(frozen=True)
class EntryInfo:
    id: int
    book_id: int
    kind: str
    memo: str
    effective_date: dt.date
    recorded_at: dt.datetime
    idempotency_key: str
    reverses_id: int | None
    metadata: dict[str, Any]
    refs: dict[str, Any]
    postings: tuple[PostingInfo, ...]
    replayed: bool = False
