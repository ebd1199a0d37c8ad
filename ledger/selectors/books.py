"""Books, accounts and entries, one at a time or listed, by id or by key."""

from __future__ import annotations

from django.db import connection

from ledger.models import Account, Book, Entry, Posting
from ledger.money import from_minor
from ledger.types import AccountInfo, BookInfo, Direction, EntryInfo, PostingInfo


def _book_info(book: Book) -> BookInfo:
    return BookInfo(id=book.pk, code=book.code, name=book.name, closed_through=book.closed_through)


def book_get(*, book_id: int | None = None, code: str | None = None) -> BookInfo | None:
    query = (
        Book.objects.filter(pk=book_id) if book_id is not None else Book.objects.filter(code=code)
    )
    book = query.first()
    return None if book is None else _book_info(book)


def book_list() -> list[BookInfo]:
    return [_book_info(book) for book in Book.objects.order_by("id")]


def _shard_totals(parent_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per sharded parent: its shards' balance and version added up."""
    if not parent_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT parent_id, sum(balance_minor), sum(version) FROM ledger_account
             WHERE parent_id = ANY(%s) GROUP BY parent_id
            """,
            [parent_ids],
        )
        return {row[0]: (int(row[1]), int(row[2])) for row in cursor.fetchall()}


def _account_info(account: Account, shards: tuple[int, int] = (0, 0)) -> AccountInfo:
    """An account; a sharded one reports its own balance plus its shards'."""
    currency = account.currency
    return AccountInfo(
        id=account.pk,
        book_id=account.book_id,
        code=account.code,
        name=account.name,
        currency=currency,
        type=account.type,
        floor=None if account.floor_minor is None else from_minor(account.floor_minor, currency),
        balance=from_minor(account.balance_minor + shards[0], currency),
        version=account.version + shards[1],
        shard_count=account.shard_count,
        parent_id=account.parent_id,
    )


def _account_infos(accounts: list[Account]) -> list[AccountInfo]:
    totals = _shard_totals([a.pk for a in accounts if a.shard_count > 1])
    return [_account_info(a, totals.get(a.pk, (0, 0))) for a in accounts]


def account_get(
    *,
    account_id: int | None = None,
    book_id: int | None = None,
    code: str | None = None,
    currency: str | None = None,
) -> AccountInfo | None:
    if account_id is not None:
        account = Account.objects.filter(pk=account_id).first()
    elif book_id is not None:
        account = Account.objects.filter(book_id=book_id, code=code, currency=currency).first()
    else:
        raise TypeError("account_get needs account_id, or book_id with code and currency")
    return None if account is None else _account_infos([account])[0]


def account_ids(*, book_id: int, currency: str, codes: list[str]) -> dict[str, int]:
    """The ids of those of ``codes`` that are open in the book and currency (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT code, id FROM ledger_account
             WHERE book_id = %s AND currency = %s AND code = ANY(%s)
            """,
            [book_id, currency, codes],
        )
        return dict(cursor.fetchall())


def account_list(*, book_id: int, currency: str | None = None) -> list[AccountInfo]:
    """A book's accounts, shards folded into their parents."""
    query = Account.objects.filter(book_id=book_id, parent__isnull=True).order_by(
        "code", "currency"
    )
    if currency:
        query = query.filter(currency=currency)
    return _account_infos(list(query))


def account_count(*, book_id: int) -> int:
    return Account.objects.filter(book_id=book_id).count()


def _posting_info(posting: Posting) -> PostingInfo:
    currency = posting.currency
    return PostingInfo(
        id=posting.pk,
        account_id=posting.account_id,
        currency=currency,
        direction=Direction(posting.direction),
        amount_minor=posting.amount_minor,
        balance_after_minor=posting.balance_after_minor,
        version_after=posting.version_after,
    )


def _entry_info(entry: Entry, postings: list[Posting] | None = None) -> EntryInfo:
    """``postings``: the entry's, already loaded (by id); else they are read here."""
    found = entry.postings.order_by("id") if postings is None else postings
    return EntryInfo(
        id=entry.pk,
        book_id=entry.book_id,
        kind=entry.kind,
        memo=entry.memo,
        effective_date=entry.effective_date,
        recorded_at=entry.recorded_at,
        idempotency_key=entry.idempotency_key,
        reverses_id=entry.reverses_id,
        metadata=entry.metadata,
        refs=entry.refs,
        postings=tuple(_posting_info(p) for p in found),
    )


def entry_get(
    *, entry_id: int | None = None, reversed_by_of: int | None = None
) -> EntryInfo | None:
    """An entry by id, or (``reversed_by_of``) the entry that reverses the given one."""
    if entry_id is not None:
        entry = Entry.objects.filter(pk=entry_id).first()
    else:
        entry = Entry.objects.filter(reverses_id=reversed_by_of).first()
    return None if entry is None else _entry_info(entry)


def entry_get_by_key(*, book_id: int, idempotency_key: str) -> EntryInfo | None:
    entry = Entry.objects.filter(book_id=book_id, idempotency_key=idempotency_key).first()
    return None if entry is None else _entry_info(entry)
