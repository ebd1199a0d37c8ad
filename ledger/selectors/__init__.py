"""The ledger's read path: balances, statements, trial balances, the journal and verification.

Balances are stored on the normal side of their account (``ledger.money.normal_sign``): a
positive asset balance is a net debit, a positive liability balance a net credit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from ledger import errors
from ledger.models import Account, Book, Entry, Posting
from ledger.money import from_minor, normal_sign
from ledger.types import AccountInfo, BookInfo, Direction, EntryInfo, PostingInfo

# --- single objects ----------------------------------------------------------------------------


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


# --- balances ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    account_id: int
    currency: str
    amount: Decimal
    version: int


def account_balance(*, account_id: int) -> Balance | None:
    """The account's current balance and version (one primary-key lookup; a sharded account
    adds its shards')."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.currency, a.balance_minor, a.version, a.shard_count FROM ledger_account a
             WHERE a.id = %s
            """,
            [account_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    currency, balance_minor, version, shard_count = row
    if shard_count > 1:
        shard_balance, shard_version = _shard_totals([account_id]).get(account_id, (0, 0))
        balance_minor += shard_balance
        version += shard_version
    return Balance(account_id, currency, from_minor(balance_minor, currency), version)


def account_balance_as_of(*, account_id: int, at: dt.datetime) -> Balance | None:
    """The balance as recorded at time ``at``: the running balance of the last posting written
    at or before it (one index lookup per account, and per shard of a sharded one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT min(a.currency), count(*), coalesce(sum(p.balance_after_minor), 0),
                   coalesce(sum(p.version_after), 0)
              FROM ledger_account a
              LEFT JOIN LATERAL (
                    SELECT balance_after_minor, version_after FROM ledger_posting
                     WHERE account_id = a.id AND recorded_at <= %s
                     ORDER BY recorded_at DESC, version_after DESC
                     LIMIT 1) p ON true
             WHERE a.id = %s OR a.parent_id = %s
            """,
            [at, account_id, account_id],
        )
        currency, found, balance_minor, version = cursor.fetchone()
    if not found:
        return None
    return Balance(account_id, currency, from_minor(int(balance_minor), currency), int(version))


@dataclass(frozen=True)
class CodeBalance:
    code: str
    currency: str
    balance: Decimal


def balances_by_code(
    *, book_id: int, codes: Sequence[str], code_prefixes: Sequence[str] = ()
) -> list[CodeBalance]:
    """The balances of a book's accounts whose code is one of ``codes`` or starts with one of
    ``code_prefixes``, in every currency each is open in, ordered by code then currency (one
    query; a sharded account adds its shards'). Codes never opened are simply absent."""
    # LIKE patterns: the prefix taken literally (its own % and _ escaped), then anything.
    patterns = [_like_literal(prefix) + "%" for prefix in code_prefixes]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.code, a.currency,
                   a.balance_minor + CASE WHEN a.shard_count > 1 THEN
                       coalesce((SELECT sum(s.balance_minor) FROM ledger_account s
                                  WHERE s.parent_id = a.id), 0) ELSE 0 END
              FROM ledger_account a
             WHERE a.book_id = %s AND a.parent_id IS NULL
               AND (a.code = ANY(%s) OR a.code LIKE ANY(%s))
             ORDER BY a.code, a.currency
            """,
            [book_id, list(codes), patterns],
        )
        rows = cursor.fetchall()
    return [CodeBalance(code, ccy, from_minor(int(minor), ccy)) for code, ccy, minor in rows]


def _like_literal(text: str) -> str:
    """``text`` for a LIKE pattern, matched literally (backslash, % and _ escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- statements --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    posting_id: int
    entry_id: int
    effective_date: dt.date
    recorded_at: dt.datetime
    kind: str
    memo: str
    direction: Direction
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    account: AccountInfo
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    closing_balance: Decimal
    total_debits: Decimal
    total_credits: Decimal
    lines: tuple[StatementLine, ...]


def account_statement(*, account_id: int, date_from: dt.date, date_to: dt.date) -> Statement | None:
    """Postings of an account (and its shards) by effective date in ``[date_from, date_to]``, in
    date then recording order, each with the running balance on the account's normal side."""
    account = account_get(account_id=account_id)
    if account is None:
        return None
    sign = normal_sign(account.type)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(sum(CASE WHEN direction = 'D' THEN amount_minor
                                     ELSE -amount_minor END), 0)
              FROM ledger_posting
             WHERE account_id IN (SELECT id FROM ledger_account WHERE id = %s OR parent_id = %s)
               AND effective_date < %s
            """,
            [account_id, account_id, date_from],
        )
        opening_debit_net = int(cursor.fetchone()[0])
        cursor.execute(
            """
            SELECT p.id, p.entry_id, p.effective_date, p.recorded_at, e.kind, e.memo, p.direction,
                   p.amount_minor
              FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id
             WHERE p.account_id IN (SELECT id FROM ledger_account WHERE id = %s OR parent_id = %s)
               AND p.effective_date BETWEEN %s AND %s
             ORDER BY p.effective_date, p.recorded_at, p.id
            """,
            [account_id, account_id, date_from, date_to],
        )
        rows = cursor.fetchall()
    currency = account.currency
    balance = sign * opening_debit_net
    opening = balance
    lines, balance = _statement_lines(rows, sign=sign, balance=balance, currency=currency)
    debits = sum(amount for *_, direction, amount in rows if direction == "D")
    credits = sum(amount for *_, direction, amount in rows if direction != "D")
    return Statement(
        account=account,
        date_from=date_from,
        date_to=date_to,
        opening_balance=from_minor(opening, currency),
        closing_balance=from_minor(balance, currency),
        total_debits=from_minor(debits, currency),
        total_credits=from_minor(credits, currency),
        lines=tuple(lines),
    )


def _statement_lines(
    rows: Sequence[Sequence[Any]], *, sign: int, balance: int, currency: str
) -> tuple[list[StatementLine], int]:
    """Posting rows (id, entry id, effective date, recorded at, kind, memo, direction, amount)
    as statement lines with the running balance from ``balance``; returns the lines and the
    balance after the last."""
    lines = []
    for posting_id, entry_id, effective_date, recorded_at, kind, memo, direction, amount in rows:
        balance += sign * amount if direction == "D" else -sign * amount
        lines.append(
            StatementLine(
                posting_id=posting_id,
                entry_id=entry_id,
                effective_date=effective_date,
                recorded_at=recorded_at,
                kind=kind,
                memo=memo,
                direction=Direction(direction),
                amount=from_minor(amount, currency),
                balance=from_minor(balance, currency),
            )
        )
    return lines, balance


# --- trial balance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialBalanceRow:
    account_id: int
    code: str
    name: str
    type: str
    currency: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class TrialBalanceTotal:
    currency: str
    debit: Decimal
    credit: Decimal

    @property
    def is_balanced(self) -> bool:
        return self.debit == self.credit


@dataclass(frozen=True)
class TrialBalance:
    book: BookInfo
    as_of: dt.date
    rows: tuple[TrialBalanceRow, ...]
    totals: tuple[TrialBalanceTotal, ...]

    @property
    def is_balanced(self) -> bool:
        return all(total.is_balanced for total in self.totals)


def trial_balance(
    *, book_id: int, as_of: dt.date, currency: str | None = None
) -> TrialBalance | None:
    """Every account's balance from postings dated on or before ``as_of`` (shards folded into
    their parent), in a debit or credit column, with per-currency totals (equal in a sound
    book)."""
    book = book_get(book_id=book_id)
    if book is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.id, r.code, r.name, r.type, r.currency,
                   coalesce(sum(CASE WHEN p.direction = 'D' THEN p.amount_minor
                                     ELSE -p.amount_minor END), 0) AS debit_net
              FROM ledger_account r
              JOIN ledger_account a ON a.id = r.id OR a.parent_id = r.id
              LEFT JOIN ledger_posting p ON p.account_id = a.id AND p.effective_date <= %s
             WHERE r.book_id = %s AND r.parent_id IS NULL
               AND (%s::text IS NULL OR r.currency = %s::text)
             GROUP BY r.id
             ORDER BY r.currency, r.code
            """,
            [as_of, book_id, currency, currency],
        )
        raw = cursor.fetchall()
    rows = []
    totals: dict[str, list[int]] = {}
    for account_id, code, name, account_type, ccy, debit_net in raw:
        debit = max(debit_net, 0)
        credit = max(-debit_net, 0)
        total = totals.setdefault(ccy, [0, 0])
        total[0] += debit
        total[1] += credit
        rows.append(
            TrialBalanceRow(
                account_id=account_id,
                code=code,
                name=name,
                type=account_type,
                currency=ccy,
                debit=from_minor(debit, ccy),
                credit=from_minor(credit, ccy),
            )
        )
    return TrialBalance(
        book=book,
        as_of=as_of,
        rows=tuple(rows),
        totals=tuple(
            TrialBalanceTotal(ccy, from_minor(d, ccy), from_minor(c, ccy))
            for ccy, (d, c) in sorted(totals.items())
        ),
    )


# --- journal -----------------------------------------------------------------------------------

JOURNAL_COLUMNS = (
    "entry_id",
    "effective_date",
    "recorded_at",
    "kind",
    "memo",
    "idempotency_key",
    "reverses_entry_id",
    "posting_id",
    "account_code",
    "account_type",
    "currency",
    "debit",
    "credit",
    "balance_after",
)


def journal_count(
    *, book_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> int:
    """How many postings ``journal_rows`` will yield (for progress bars)."""
    query = Posting.objects.filter(book_id=book_id)
    if date_from:
        query = query.filter(effective_date__gte=date_from)
    if date_to:
        query = query.filter(effective_date__lte=date_to)
    return query.count()


def journal_rows(
    *,
    book_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    chunk_size: int = 5000,
) -> Iterator[tuple[Any, ...]]:
    """The book's postings with their entries, in entry order, as ``JOURNAL_COLUMNS`` tuples.

    Streams through a server-side cursor: memory stays flat whatever the book's size.
    """
    sql = """
        SELECT e.id, e.effective_date, e.recorded_at, e.kind, e.memo, e.idempotency_key,
               e.reverses_id, p.id, a.code, a.type, p.currency, p.direction, p.amount_minor,
               p.balance_after_minor
          FROM ledger_entry e
          JOIN ledger_posting p ON p.entry_id = e.id
          JOIN ledger_account a ON a.id = p.account_id
         WHERE e.book_id = %s
           AND (%s::date IS NULL OR e.effective_date >= %s::date)
           AND (%s::date IS NULL OR e.effective_date <= %s::date)
         ORDER BY e.id, p.id
    """
    params = [book_id, date_from, date_from, date_to, date_to]
    # Inside a transaction the server-side cursor streams from the first row (outside one, a
    # holdable cursor would materialise the whole result first).
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for row in rows:
                *head, ccy, direction, amount_minor, balance_minor = row
                amount = from_minor(amount_minor, ccy)
                yield (
                    *head,
                    ccy,
                    amount if direction == "D" else None,
                    amount if direction == "C" else None,
                    from_minor(balance_minor, ccy),
                )


# --- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    kind: str
    subject: str
    detail: str


def ledger_drift(*, book_id: int) -> list[Drift]:
    """Re-derive one book from its postings and list every disagreement (empty when sound).

    Checks that each account's stored balance and version equal the sum and count of its
    postings, that every running balance follows from the one before it, that each entry
    balances per currency with its declared line count, and that the trial balance nets to zero
    per currency.
    """
    found: list[Drift] = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, a.code, a.currency, a.balance_minor, a.version,
                   ledger_normal_sign(a.type) * coalesce(s.debit_net, 0), coalesce(s.n, 0)
              FROM ledger_account a
              LEFT JOIN (SELECT account_id, count(*) AS n,
                                sum(CASE WHEN direction = 'D' THEN amount_minor
                                         ELSE -amount_minor END) AS debit_net
                           FROM ledger_posting WHERE book_id = %s
                          GROUP BY account_id) s ON s.account_id = a.id
             WHERE a.book_id = %s
               AND (a.balance_minor <> ledger_normal_sign(a.type) * coalesce(s.debit_net, 0)
                    OR a.version <> coalesce(s.n, 0))
            """,
            [book_id, book_id],
        )
        for account_id, code, ccy, balance, version, derived, count in cursor.fetchall():
            found.append(
                Drift(
                    "account_balance",
                    f"account {account_id} {code} ({ccy})",
                    f"stored balance {balance} version {version}, "
                    f"postings add up to {derived} over {count}",
                )
            )
        cursor.execute(
            """
            SELECT id, account_id, version_after, balance_after_minor, want_balance, want_version
              FROM (SELECT p.id, p.account_id, p.version_after, p.balance_after_minor,
                           sum(ledger_normal_sign(a.type) * CASE WHEN p.direction = 'D'
                               THEN p.amount_minor ELSE -p.amount_minor END)
                               OVER w AS want_balance,
                           row_number() OVER w AS want_version
                      FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id
                     WHERE p.book_id = %s
                    WINDOW w AS (PARTITION BY p.account_id ORDER BY p.version_after)) r
             WHERE balance_after_minor <> want_balance OR version_after <> want_version
             LIMIT 100
            """,
            [book_id],
        )
        for posting_id, account_id, version, balance, want_balance, want_version in cursor:
            found.append(
                Drift(
                    "running_balance",
                    f"posting {posting_id} on account {account_id}",
                    f"records balance {balance} version {version}, "
                    f"expected {want_balance} version {want_version}",
                )
            )
        cursor.execute(
            """
            SELECT e.id, e.line_count, count(p.id)
              FROM ledger_entry e LEFT JOIN ledger_posting p ON p.entry_id = e.id
             WHERE e.book_id = %s
             GROUP BY e.id
            HAVING count(p.id) <> e.line_count
             LIMIT 100
            """,
            [book_id],
        )
        for entry_id, line_count, count in cursor.fetchall():
            found.append(
                Drift(
                    "entry_lines", f"entry {entry_id}", f"declares {line_count} lines, has {count}"
                )
            )
        cursor.execute(
            """
            SELECT entry_id, currency,
                   sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END)
              FROM ledger_posting WHERE book_id = %s
             GROUP BY entry_id, currency
            HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0
             LIMIT 100
            """,
            [book_id],
        )
        for entry_id, ccy, net in cursor.fetchall():
            found.append(
                Drift("entry_balance", f"entry {entry_id}", f"{ccy} debits exceed credits by {net}")
            )
        cursor.execute(
            """
            SELECT a.currency, sum(ledger_normal_sign(a.type) * a.balance_minor)
              FROM ledger_account a
             WHERE a.book_id = %s
             GROUP BY a.currency
            HAVING sum(ledger_normal_sign(a.type) * a.balance_minor) <> 0
            """,
            [book_id],
        )
        for ccy, net in cursor.fetchall():
            found.append(
                Drift("trial_balance", f"book {book_id} ({ccy})", f"debits exceed credits by {net}")
            )
    return found


# --- pages for the platform API (keyset, newest first) ------------------------------------------


def _window(query: Any, *, id_below: int | None, id_above: int | None, limit: int) -> list[Any]:
    """Up to ``limit`` rows of ``query``, newest first: with ids below ``id_below``, or the ones
    just above ``id_above``."""
    if id_above is not None:
        rows = list(query.filter(pk__gt=id_above).order_by("id")[:limit])
        rows.reverse()
        return rows
    if id_below is not None:
        query = query.filter(pk__lt=id_below)
    return list(query.order_by("-id")[:limit])


def account_page(
    *,
    book_id: int,
    currency: str | None = None,
    code_prefix: str | None = None,
    id_below: int | None = None,
    id_above: int | None = None,
    limit: int = 20,
) -> list[AccountInfo]:
    """A book's accounts (shards folded into their parents, never listed), newest first; see
    ``_window`` for the paging arguments."""
    query = Account.objects.filter(book_id=book_id, parent__isnull=True)
    if currency:
        query = query.filter(currency=currency)
    if code_prefix:
        query = query.filter(code__startswith=code_prefix)
    return _account_infos(_window(query, id_below=id_below, id_above=id_above, limit=limit))


def entry_page(
    *,
    book_id: int,
    kind: str | None = None,
    recorded_from: dt.datetime | None = None,
    recorded_to: dt.datetime | None = None,
    id_below: int | None = None,
    id_above: int | None = None,
    limit: int = 20,
) -> list[EntryInfo]:
    """A book's entries with their postings, newest first; see ``_window`` for the paging
    arguments. ``recorded_from``/``recorded_to`` bound ``recorded_at`` (inclusive)."""
    query = Entry.objects.filter(book_id=book_id)
    if kind:
        query = query.filter(kind=kind)
    if recorded_from is not None:
        query = query.filter(recorded_at__gte=recorded_from)
    if recorded_to is not None:
        query = query.filter(recorded_at__lte=recorded_to)
    entries = _window(query, id_below=id_below, id_above=id_above, limit=limit)
    postings: dict[int, list[Posting]] = {}
    for posting in Posting.objects.filter(entry_id__in=[e.pk for e in entries]).order_by("id"):
        postings.setdefault(posting.entry_id, []).append(posting)
    return [_entry_info(entry, postings.get(entry.pk, [])) for entry in entries]


@dataclass(frozen=True)
class AccountLabel:
    """The account a posting is shown under: a shard's parent, or the account itself."""

    id: int
    code: str
    is_shard: bool


def account_labels(*, account_ids: list[int]) -> dict[int, AccountLabel]:
    """For each of ``account_ids``: the id and code of the account it belongs to (one query)."""
    if not account_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, coalesce(p.id, a.id), coalesce(p.code, a.code), a.parent_id IS NOT NULL
              FROM ledger_account a LEFT JOIN ledger_account p ON p.id = a.parent_id
             WHERE a.id = ANY(%s)
            """,
            [list(set(account_ids))],
        )
        return {row[0]: AccountLabel(row[1], row[2], row[3]) for row in cursor.fetchall()}


@dataclass(frozen=True)
class StatementPage:
    """Part of an account's statement: the range's opening and closing balances and totals,
    and up to ``limit`` of its lines from a position on, each with its running balance."""

    account: AccountInfo
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    closing_balance: Decimal
    total_debits: Decimal
    total_credits: Decimal
    line_count: int
    lines: tuple[StatementLine, ...]
    has_more: bool


_SIGNED = "CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END"


def account_statement_page(
    *,
    account_id: int,
    date_from: dt.date,
    date_to: dt.date,
    after_posting_id: int | None = None,
    limit: int = 100,
) -> StatementPage | None:
    """``account_statement`` a page at a time, in the same order (effective date, then
    recording): lines after the posting ``after_posting_id`` (a line of this statement, else
    ``InvalidInput`` on ``cursor``). Each page's running balances are derived from the postings
    before it, never carried by the caller. ``None`` for an unknown account."""
    account = account_get(account_id=account_id)
    if account is None:
        return None
    sign = normal_sign(account.type)
    currency = account.currency
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(id) FROM ledger_account WHERE id = %s OR parent_id = %s",
            [account_id, account_id],
        )
        family = list(cursor.fetchone()[0])
        cursor.execute(
            f"""
            SELECT coalesce(sum({_SIGNED}) FILTER (WHERE effective_date < %s), 0),
                   coalesce(sum(amount_minor) FILTER (WHERE effective_date >= %s
                                                       AND direction = 'D'), 0),
                   coalesce(sum(amount_minor) FILTER (WHERE effective_date >= %s
                                                       AND direction = 'C'), 0),
                   count(*) FILTER (WHERE effective_date >= %s)
              FROM ledger_posting
             WHERE account_id = ANY(%s) AND effective_date <= %s
            """,
            [date_from, date_from, date_from, date_from, family, date_to],
        )
        opening_net, debits, credits, line_count = cursor.fetchone()
        position: tuple[Any, ...] | None = None
        balance = sign * int(opening_net)
        if after_posting_id is not None:
            cursor.execute(
                "SELECT effective_date, recorded_at, id FROM ledger_posting"
                " WHERE id = %s AND account_id = ANY(%s) AND effective_date BETWEEN %s AND %s",
                [after_posting_id, family, date_from, date_to],
            )
            position = cursor.fetchone()
            if position is None:
                raise errors.InvalidInput("the cursor is not one this API gave out", field="cursor")
            cursor.execute(
                f"""
                SELECT coalesce(sum({_SIGNED}), 0) FROM ledger_posting
                 WHERE account_id = ANY(%s) AND (effective_date, recorded_at, id) <= (%s, %s, %s)
                """,
                [family, *position],
            )
            balance = sign * int(cursor.fetchone()[0])
        pos = position or (None, None, None)
        cursor.execute(
            """
            SELECT p.id, p.entry_id, p.effective_date, p.recorded_at, e.kind, e.memo, p.direction,
                   p.amount_minor
              FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id
             WHERE p.account_id = ANY(%s) AND p.effective_date BETWEEN %s AND %s
               AND (%s::date IS NULL
                    OR (p.effective_date, p.recorded_at, p.id) > (%s::date, %s, %s::bigint))
             ORDER BY p.effective_date, p.recorded_at, p.id
             LIMIT %s
            """,
            [family, date_from, date_to, pos[0], *pos, limit + 1],
        )
        rows = cursor.fetchall()
    lines, balance = _statement_lines(rows[:limit], sign=sign, balance=balance, currency=currency)
    opening = sign * int(opening_net)
    return StatementPage(
        account=account,
        date_from=date_from,
        date_to=date_to,
        opening_balance=from_minor(opening, currency),
        closing_balance=from_minor(opening + sign * (int(debits) - int(credits)), currency),
        total_debits=from_minor(int(debits), currency),
        total_credits=from_minor(int(credits), currency),
        line_count=int(line_count),
        lines=tuple(lines),
        has_more=len(rows) > limit,
    )
