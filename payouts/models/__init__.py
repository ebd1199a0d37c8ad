"""Every room's models, listed so that Django finds them. Nothing in the domain imports this
module: each room imports the models it uses from their own room (import-linter checks it)."""

from payouts.batches.models import BatchStatus, ItemStatus, PayoutBatch, PayoutBatchItem
from payouts.exceptions.models import ExceptionKind, ExceptionStatus, OperationsException
from payouts.execution.models import ProviderCursor, ProviderEvent
from payouts.funds.models import Earning, Funding, FundingStatus
from payouts.lifecycle.models import AttemptStatus, Payout, PayoutAttempt, PayoutTransition
from payouts.outbox.models import OutboxMessage
from payouts.payees.models import (
    MethodStatus,
    Payee,
    PayeeStatus,
    PayeeType,
    PayoutMethod,
    PayoutMethodChange,
    PayoutSchedule,
)
from payouts.platforms.models import (
    ApiKey,
    FeeBearer,
    FeeRule,
    Platform,
    ScheduleFrequency,
    Speed,
    Threshold,
    ThresholdKind,
)

__all__ = [
    "ApiKey",
    "AttemptStatus",
    "BatchStatus",
    "Earning",
    "ExceptionKind",
    "ExceptionStatus",
    "FeeBearer",
    "FeeRule",
    "Funding",
    "FundingStatus",
    "ItemStatus",
    "MethodStatus",
    "OperationsException",
    "OutboxMessage",
    "Payee",
    "PayeeStatus",
    "PayeeType",
    "Payout",
    "PayoutAttempt",
    "PayoutBatch",
    "PayoutBatchItem",
    "PayoutMethod",
    "PayoutMethodChange",
    "PayoutSchedule",
    "PayoutTransition",
    "Platform",
    "ProviderCursor",
    "ProviderEvent",
    "ScheduleFrequency",
    "Speed",
    "Threshold",
    "ThresholdKind",
]
