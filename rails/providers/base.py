"""What every rail adapter does, and how it says whether money may have moved.

An adapter speaks one provider's API. The payouts app only ever sees :class:`RailAdapter`:

- ``destination_validate`` refuses, before anything is sent, a destination the rail cannot pay;
- ``quote`` says what the rail charges for a payout, and how soon it arrives at a speed;
- ``submit`` sends a transfer under an idempotency key (the same key always names the same
  transfer at the provider, so resubmitting cannot pay twice);
- ``transfer_by_key`` and ``transfer_get`` fetch a transfer's status;
- ``events_after`` reads the provider's event feed, ``callback_events`` authenticates and
  parses what the provider posts to us.

Every failure is a :class:`RailError` of one of three kinds, by whether money may have moved:

- :class:`Retryable`: the provider did nothing (it was not reached, or refused our
  credentials); the same call may succeed later;
- :class:`TerminalNoMoneyMoved`: the provider refused the transfer for good; nothing moved;
- :class:`OutcomeUnknown`: the provider may have acted (a timeout after sending, a 5xx, an
  answer we cannot read); ask by key, or resubmit with the same key, never with a fresh one.

``submit`` never raises for a provider's answer: it turns ``transfer_create``'s error into a
:class:`~rails.types.SubmitOutcome` (``REJECTED`` for terminal, ``UNKNOWN`` for the others).
Reads move no money, so they raise :class:`ProviderUnavailable`, a :class:`Retryable`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import ClassVar, Self

from rails.types import (
    Destination,
    OutcomeKind,
    ProviderEvent,
    ProviderTransfer,
    SubmitOutcome,
    SubmitRequest,
)

MAX_EVENTS_LIMIT = 1000


class ErrorKind(StrEnum):
    RETRYABLE = "retryable"
    TERMINAL_NO_MONEY_MOVED = "terminal_no_money_moved"
    OUTCOME_UNKNOWN = "outcome_unknown"


class RailError(Exception):
    """A provider's answer that is not a success; ``kind`` says whether money may have moved.

    ``failure_code`` is one of :data:`rails.failures.FAILURE_CODES`; ``status_code`` is the HTTP
    status when the provider answered one.
    """

    kind: ClassVar[ErrorKind]

    def __init__(self, message: str, *, failure_code: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.failure_code = failure_code
        self.status_code = status_code

    @property
    def money_may_have_moved(self) -> bool:
        return self.kind is ErrorKind.OUTCOME_UNKNOWN


class Retryable(RailError):
    """The provider did nothing; the same call (same key) may succeed later."""

    kind = ErrorKind.RETRYABLE


class TerminalNoMoneyMoved(RailError):
    """The provider refused for good and holds no transfer; a new payout is needed."""

    kind = ErrorKind.TERMINAL_NO_MONEY_MOVED


class OutcomeUnknown(RailError):
    """The provider may hold a transfer: ask by key, or resubmit with the same key."""

    kind = ErrorKind.OUTCOME_UNKNOWN


class ProviderUnavailable(Retryable):
    """A read could not be answered (unreachable, timed out, refused, 5xx, malformed)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        failure_code: str = "provider_unavailable",
    ) -> None:
        super().__init__(message, failure_code=failure_code, status_code=status_code)


class CallbackRejected(Exception):
    """A callback request that must not be acted on; answer it with a 4xx."""


class InvalidSignature(CallbackRejected):
    """The signature header is missing, malformed, stale, or does not match the body."""


class MalformedCallback(CallbackRejected):
    """The signature is valid but the body is not a batch of events we understand."""


_OUTCOME_KINDS = {
    ErrorKind.RETRYABLE: OutcomeKind.UNKNOWN,
    ErrorKind.TERMINAL_NO_MONEY_MOVED: OutcomeKind.REJECTED,
    ErrorKind.OUTCOME_UNKNOWN: OutcomeKind.UNKNOWN,
}


@dataclass(frozen=True)
class RailConfig:
    """How an adapter reaches its provider and checks what the provider sends back."""

    base_url: str
    api_key: str
    timeout_s: float  # bounds every phase of every call: connect, send, each read
    webhook_secret: str = ""


@dataclass(frozen=True)
class Quote:
    fee_minor: int  # what the rail charges us for the payout, in minor units of its currency
    speed: str
    arrival: dt.timedelta  # nominal time until the payee has the money


class RailAdapter(ABC):
    """One provider's API, safe to share between threads; see the module docstring."""

    def __init__(self, config: RailConfig) -> None:
        self.config = config

    @classmethod
    @abstractmethod
    def settings_config(cls) -> RailConfig:
        """The configuration this rail runs with, read from the Django settings."""

    @abstractmethod
    def destination_validate(self, destination: Destination) -> None:
        """Raise :class:`TerminalNoMoneyMoved` (``invalid_destination``) for a destination the
        provider would refuse; checks only the shape the provider documents, sends nothing."""

    @abstractmethod
    def quote(self, *, amount_minor: int, currency: str, speed: str) -> Quote:
        """The rail's fee and nominal arrival at ``speed``; raises :class:`TerminalNoMoneyMoved`
        (``invalid_request``) for a speed the rail does not carry."""

    @abstractmethod
    def transfer_create(self, request: SubmitRequest) -> str:
        """Submit under ``request.idempotency_key``; return the provider's reference, or raise
        a :class:`RailError` saying whether money may have moved."""

    @abstractmethod
    def transfer_by_key(self, idempotency_key: str) -> ProviderTransfer | None:
        """The transfer submitted under this key, or None only when the provider says it has
        none (then resubmitting with the key is safe). Raises :class:`ProviderUnavailable`."""

    @abstractmethod
    def transfer_get(self, reference: str) -> ProviderTransfer | None:
        """The transfer with this provider reference, or None. Raises
        :class:`ProviderUnavailable`."""

    @abstractmethod
    def events_after(
        self, sequence: int, limit: int = MAX_EVENTS_LIMIT
    ) -> tuple[list[ProviderEvent], bool]:
        """Up to ``limit`` feed events after ``sequence`` (oldest first) and whether more wait.
        Raises ``ValueError`` for a limit outside 1..1000, :class:`ProviderUnavailable`."""

    @abstractmethod
    def callback_events(self, *, body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        """Authenticate a request the provider posted to us and return its events in the order
        sent. Raises :class:`CallbackRejected` (:class:`InvalidSignature` first)."""

    def close(self) -> None:  # noqa: B027 - an adapter without connections has nothing to close
        """Release connections; the adapter may not be used afterwards."""

    def submit(self, request: SubmitRequest) -> SubmitOutcome:
        """Submit and say what happened; never raises for the provider's answer."""
        try:
            reference = self.transfer_create(request)
        except RailError as exc:
            return SubmitOutcome(_OUTCOME_KINDS[exc.kind], "", exc.failure_code, exc.message)
        return SubmitOutcome(OutcomeKind.ACCEPTED, reference)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
