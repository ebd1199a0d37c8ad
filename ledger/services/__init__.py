"""The ledger's write path. Every change to the books goes through these functions.

Each service checks the rules first and raises a typed ``DomainError`` (nothing is written then);
the database enforces the same invariants again (migration ``ledger.0002_invariants``). Called
outside a transaction, a service owns its own; called inside one (a payout's status change, say),
it joins it, so the caller's change and the entry commit together.
"""

from ledger.services.books import account_open, accounts_open, book_open, period_close
from ledger.services.posting import entries_post, entry_post, entry_reverse

__all__ = [
    "account_open",
    "accounts_open",
    "book_open",
    "entries_post",
    "entry_post",
    "entry_reverse",
    "period_close",
]
