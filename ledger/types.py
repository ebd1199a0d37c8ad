"""Plain dataclasses: what the ledger takes in and hands out. Other apps use only these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ledger.money import AmountLike


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


@dataclass(frozen=True)
class Line:
    """One side of an entry: ``amount`` (major units, exact) in the account's currency.

    ``currency``, when given, must be the account's currency; a ``Money`` amount carries its own.
    """

    account_id: int
    side: Side | str
    amount: AmountLike
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
    side: Side
    amount: Decimal
    balance_after: Decimal
    version_after: int


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
