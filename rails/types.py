"""Plain dataclasses that cross the boundary between the payouts app and the rails.

The payouts app hands a rail adapter a :class:`SubmitRequest` and gets back a
:class:`SubmitOutcome`; it learns what happened later from :class:`ProviderEvent` values (read
from a signed callback or from the provider's event feed) or a :class:`ProviderTransfer` (the
status endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OutcomeKind(StrEnum):
    ACCEPTED = "accepted"  # the provider holds the transfer; it will settle, fail or return later
    REJECTED = "rejected"  # the provider refused it for good; no money moved
    UNKNOWN = "unknown"  # timeout, connection error, 5xx: ask again, or resubmit with the same key


class TransferStatus(StrEnum):
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    RETURNED = "returned"


@dataclass(frozen=True)
class Destination:
    """Where the money goes, with the sensitive values decrypted (never logged)."""

    method_type: str  # us_bank_account, iban, paypal, venmo, debit_card, pix, upi, clabe
    country: str  # ISO 3166-1 alpha-2
    currency: str  # ISO 4217
    holder_name: str
    details: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # the details are secrets
        return f"Destination({self.method_type}, {self.country}, {self.currency})"


@dataclass(frozen=True)
class SubmitRequest:
    idempotency_key: str  # the attempt's key: a resubmission with it returns the same transfer
    amount_minor: int  # net amount the payee receives, in minor units of `currency`
    currency: str
    destination: Destination
    reference: str  # our reference (the payout's id) for statements and support


@dataclass(frozen=True)
class SubmitOutcome:
    kind: OutcomeKind
    provider_reference: str = ""  # the provider's transfer id when accepted
    failure_code: str = ""  # normalised code (rails.failures) when rejected or unknown
    failure_message: str = ""


@dataclass(frozen=True)
class ProviderTransfer:
    provider_reference: str
    idempotency_key: str
    status: TransferStatus
    amount_minor: int
    currency: str
    failure_code: str = ""  # normalised (rails.failures)
    raw_code: str = ""  # what the rail said (R01, AC04, ...)
    failure_message: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """One status change at the provider; `sequence` increases with each event it emits."""

    sequence: int
    event_id: str
    transfer: ProviderTransfer
