"""The ledger's domain errors, each with a stable code."""

from core.errors import DomainError, InvalidInput, NotFound


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class InvalidCurrency(InvalidInput):
    code = "invalid_currency"


class InvalidEntry(InvalidInput):
    code = "invalid_entry"


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class CrossBookPosting(DomainError):
    code = "cross_book_posting"


class BelowFloor(DomainError):
    code = "below_floor"


class BalanceOutOfRange(DomainError):
    """The entry would take a balance past what the ledger can hold (a bigint of minor units)."""

    code = "balance_out_of_range"


class PeriodClosed(DomainError):
    code = "period_closed"


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"


class AlreadyReversed(DomainError):
    code = "already_reversed"


class AccountConflict(DomainError):
    code = "account_conflict"


class BookNotFound(NotFound):
    code = "book_not_found"


class AccountNotFound(NotFound):
    code = "account_not_found"


class EntryNotFound(NotFound):
    code = "entry_not_found"


class ExportTooLarge(InvalidInput):
    code = "export_too_large"
