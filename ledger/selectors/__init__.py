"""The ledger's read path: balances, statements, trial balances, the journal and verification.

Balances are stored on the normal side of their account (``ledger.money.normal_sign``): a
positive asset balance is a net debit, a positive liability balance a net credit.

One module per read model: ``books`` (books, accounts and entries by id or key), ``balances``,
``statements``, ``trial_balance``, ``journal``, ``drift`` (verification) and ``pages`` (the
platform API's keyset pages). Callers import from ``ledger.selectors``.
"""

from __future__ import annotations

from ledger.selectors.balances import (
    Balance,
    CodeBalance,
    account_balance,
    account_balance_as_of,
    balances_by_code,
)
from ledger.selectors.books import (
    account_count,
    account_get,
    account_ids,
    account_list,
    book_get,
    book_list,
    entry_get,
    entry_get_by_key,
)
from ledger.selectors.drift import Drift, ledger_drift
from ledger.selectors.journal import JOURNAL_COLUMNS, journal_count, journal_rows
from ledger.selectors.pages import AccountLabel, account_labels, account_page, entry_page
from ledger.selectors.statements import (
    Statement,
    StatementLine,
    StatementPage,
    account_statement,
    account_statement_page,
)
from ledger.selectors.trial_balance import (
    TrialBalance,
    TrialBalanceRow,
    TrialBalanceTotal,
    trial_balance,
)

__all__ = [
    "JOURNAL_COLUMNS",
    "AccountLabel",
    "Balance",
    "CodeBalance",
    "Drift",
    "Statement",
    "StatementLine",
    "StatementPage",
    "TrialBalance",
    "TrialBalanceRow",
    "TrialBalanceTotal",
    "account_balance",
    "account_balance_as_of",
    "account_count",
    "account_get",
    "account_ids",
    "account_labels",
    "account_list",
    "account_page",
    "account_statement",
    "account_statement_page",
    "balances_by_code",
    "book_get",
    "book_list",
    "entry_get",
    "entry_get_by_key",
    "entry_page",
    "journal_count",
    "journal_rows",
    "ledger_drift",
    "trial_balance",
]
