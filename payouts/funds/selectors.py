"""Reads of a platform's fundings and earnings, and of its own book: its accounts, entries,
statements and balances.

Everything goes through ``ledger.selectors`` (other apps never query ledger models), and
everything is scoped to the platform's book: another book's account or entry is
``LedgerAccountNotFound`` / ``LedgerEntryNotFound``, exactly like a missing one. The shards of a
hot account are never shown on their own: they are folded into their parent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from core.db.lookup import narrowed, one_of
from core.errors import NotFound
from ledger import selectors as ledger_selectors
from ledger.selectors import AccountLabel, StatementPage
from ledger.types import AccountInfo, EntryInfo, PostingInfo
from payouts.common.accounts import in_transit_code
from payouts.funds.models import Earning, Funding
from payouts.platforms.models import Platform

IN_TRANSIT_PREFIX = in_transit_code("")
BALANCE_CODES = ("cash", "funding", "fees")
BALANCE_FIELDS = ("funding", "in_transit", "fees", "cash")


class FundingNotFound(NotFound):
    code = "funding_not_found"


class LedgerAccountNotFound(NotFound):
    code = "ledger_account_not_found"


class LedgerEntryNotFound(NotFound):
    code = "ledger_entry_not_found"


def funding_list(*, platform_id: int) -> QuerySet[Funding]:
    """A platform's fundings."""
    return Funding.objects.filter(platform_id=platform_id)


def funding_get(*, platform_id: int, funding_id: object) -> Funding:
    """A funding of this platform. Raises ``FundingNotFound``, also for another platform's."""
    return one_of(
        funding_list(platform_id=platform_id), funding_id, error=FundingNotFound, what="funding"
    )


def earning_list(
    *,
    platform_id: int,
    payee: int | None = None,
    created_gte: dt.datetime | None = None,
    created_lte: dt.datetime | None = None,
) -> QuerySet[Earning]:
    """A platform's earnings, narrowed by whichever filters are given."""
    return narrowed(
        Earning.objects.filter(platform_id=platform_id),
        payee_id=payee,
        created__gte=created_gte,
        created__lte=created_lte,
    )


def book_account(*, platform: Platform, account_id: int) -> AccountInfo:
    """An account of the platform's book (a shard is not an account of its own here)."""
    account = ledger_selectors.account_get(account_id=account_id)
    if account is None or account.book_id != platform.book_id or account.parent_id is not None:
        raise LedgerAccountNotFound(f"ledger account {account_id} does not exist")
    return account


def book_accounts(
    *,
    platform: Platform,
    currency: str | None,
    code_prefix: str | None,
    id_below: int | None,
    id_above: int | None,
    limit: int,
) -> list[AccountInfo]:
    return ledger_selectors.account_page(
        book_id=platform.book_id,
        currency=currency,
        code_prefix=code_prefix,
        id_below=id_below,
        id_above=id_above,
        limit=limit,
    )


def book_statement(
    *,
    platform: Platform,
    account_id: int,
    date_from: dt.date,
    date_to: dt.date,
    after_posting_id: int | None,
    limit: int,
) -> StatementPage:
    """A page of the statement of one of the platform's accounts (``LedgerAccountNotFound``;
    ``InvalidInput`` on ``cursor`` for a cursor that is not a line of this statement)."""
    book_account(platform=platform, account_id=account_id)
    page = ledger_selectors.account_statement_page(
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        after_posting_id=after_posting_id,
        limit=limit,
    )
    assert page is not None, "the account was just found"
    return page


@dataclass(frozen=True)
class BookPosting:
    """A posting as the platform sees it: on the account it knows (a shard's parent)."""

    posting: PostingInfo
    account: AccountLabel


@dataclass(frozen=True)
class BookEntry:
    entry: EntryInfo
    postings: tuple[BookPosting, ...]


def _labelled(entries: list[EntryInfo]) -> list[BookEntry]:
    labels = ledger_selectors.account_labels(
        account_ids=[p.account_id for e in entries for p in e.postings]
    )
    return [
        BookEntry(e, tuple(BookPosting(p, labels[p.account_id]) for p in e.postings))
        for e in entries
    ]


def book_entry(*, platform: Platform, entry_id: int) -> BookEntry:
    entry = ledger_selectors.entry_get(entry_id=entry_id)
    if entry is None or entry.book_id != platform.book_id:
        raise LedgerEntryNotFound(f"ledger entry {entry_id} does not exist")
    return _labelled([entry])[0]


def book_entries(
    *,
    platform: Platform,
    kind: str | None,
    created_gte: dt.datetime | None,
    created_lte: dt.datetime | None,
    id_below: int | None,
    id_above: int | None,
    limit: int,
) -> list[BookEntry]:
    """The platform's entries, newest first (``created_*`` bound when they were recorded)."""
    entries = ledger_selectors.entry_page(
        book_id=platform.book_id,
        kind=kind,
        recorded_from=created_gte,
        recorded_to=created_lte,
        id_below=id_below,
        id_above=id_above,
        limit=limit,
    )
    return _labelled(entries)


@dataclass(frozen=True)
class PlatformBalance:
    """A platform's money in one currency: its prefunded balance, what is on its way to payees
    over every rail, the fees charged, and the cash held for it."""

    currency: str
    funding: Decimal
    in_transit: Decimal
    fees: Decimal
    cash: Decimal


def platform_balances(*, platform: Platform) -> list[PlatformBalance]:
    """One row per currency the platform uses or has accounts in, by currency (zero where an
    account was never opened)."""
    accounts = ledger_selectors.balances_by_code(
        book_id=platform.book_id, codes=BALANCE_CODES, code_prefixes=[IN_TRANSIT_PREFIX]
    )
    totals = {
        currency: dict.fromkeys(BALANCE_FIELDS, Decimal(0)) for currency in platform.currencies
    }
    for account in accounts:
        row = totals.setdefault(account.currency, dict.fromkeys(BALANCE_FIELDS, Decimal(0)))
        name = "in_transit" if account.code.startswith(IN_TRANSIT_PREFIX) else account.code
        row[name] += account.balance
    return [PlatformBalance(currency=currency, **totals[currency]) for currency in sorted(totals)]
