"""A platform's ledger accounts (the chart of accounts), opened once and looked up by code.

Account ids never change once opened, so they are cached per process.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ledger import selectors as ledger_selectors
from ledger import services as ledger

HOT_SHARDS = 8

# code, type, floor, shards: per platform and currency.
PLATFORM_ACCOUNTS: tuple[tuple[str, str, str | None, int], ...] = (
    ("cash", "asset", None, HOT_SHARDS),
    ("funding", "liability", "0", 1),
    ("fees", "revenue", None, HOT_SHARDS),
    ("withholding", "liability", None, 1),
    ("suspense", "liability", None, 1),
)

_ids: dict[tuple[int, str, str], int] = {}


def available_code(payee_id: int) -> str:
    return f"payee:{payee_id}:available"


def held_code(payee_id: int) -> str:
    return f"payee:{payee_id}:held"


def in_transit_code(rail: str) -> str:
    return f"in_transit:{rail}"


def platform_accounts_open(*, book_id: int, currency: str, rails: Iterable[str] = ()) -> None:
    """Open the platform's chart in ``currency`` (idempotent), with in-transit accounts for
    ``rails``."""
    for code, type_, floor, shards in PLATFORM_ACCOUNTS:
        info = ledger.account_open(
            book_id=book_id, code=code, currency=currency, type=type_, floor=floor, shards=shards
        )
        _remember((book_id, code, currency), info.id)
    for rail in rails:
        account_id(book_id=book_id, code=in_transit_code(rail), currency=currency)


def _spec(code: str) -> tuple[str, str | None, int]:
    """The type, floor and shard count of a chart account from its code."""
    for name, type_, floor, shards in PLATFORM_ACCOUNTS:
        if code == name:
            return type_, floor, shards
    if code.startswith("payee:"):
        return "liability", "0", 1
    if code.startswith("in_transit:"):
        return "liability", None, HOT_SHARDS
    raise AssertionError(f"{code} is not in the chart of accounts")


def account_id(*, book_id: int, code: str, currency: str) -> int:
    """The id of a chart account, opening it the first time it is needed."""
    key = (book_id, code, currency)
    found = _ids.get(key)
    if found is None:
        existing = ledger_selectors.account_get(book_id=book_id, code=code, currency=currency)
        if existing is None:
            type_, floor, shards = _spec(code)
            existing = ledger.account_open(
                book_id=book_id,
                code=code,
                currency=currency,
                type=type_,
                floor=floor,
                shards=shards,
            )
        found = existing.id
        _remember(key, found)
    return found


def _remember(key: tuple[int, str, str], value: int) -> None:
    # An account opened inside a transaction that then rolls back never existed: cache the id
    # only once it is committed.
    transaction.on_commit(lambda: _ids.__setitem__(key, value))


def prefetch(*, book_id: int, currency: str, codes: set[str]) -> None:
    """Look up many chart accounts in one query, so posting a chunk of payouts does not look
    each one up on its own. Call it before the transaction writes anything: the ids it finds
    were then committed by others and are safe to cache at once."""
    wanted = [c for c in codes if (book_id, c, currency) not in _ids]
    if not wanted:
        return
    found = ledger_selectors.account_ids(book_id=book_id, currency=currency, codes=wanted)
    for code, found_id in found.items():
        _ids[book_id, code, currency] = found_id


def payee_accounts_open(*, book_id: int, currency: str, payee_ids: list[int]) -> None:
    """Open the available and held accounts of many payees at once (bulk onboarding)."""
    codes = [available_code(p) for p in payee_ids] + [held_code(p) for p in payee_ids]
    for start in range(0, len(codes), 10_000):
        opened = ledger.accounts_open(
            book_id=book_id,
            currency=currency,
            type="liability",
            floor="0",
            codes=codes[start : start + 10_000],
        )
        for code, opened_id in opened.items():
            _remember((book_id, code, currency), opened_id)


def payee_balance_minor(*, book_id: int, payee_id: int, currency: str) -> tuple[int, int]:
    """(available, held) of a payee in minor units; zero for accounts never opened."""
    from ledger.money import to_minor

    result = []
    for code in (available_code(payee_id), held_code(payee_id)):
        info = ledger_selectors.account_get(book_id=book_id, code=code, currency=currency)
        result.append(0 if info is None else to_minor(info.balance, currency))
    return result[0], result[1]
