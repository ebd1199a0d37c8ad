"""The payouts app's models; services write them and selectors read them."""

from payouts.models.api import IdempotencyKey
from payouts.models.batches import BatchStatus, ItemStatus, PayoutBatch, PayoutBatchItem
from payouts.models.execution import OutboxMessage, ProviderCursor, ProviderEvent
from payouts.models.money import Earning, Funding, FundingStatus
from payouts.models.payees import (
    MethodStatus,
    Payee,
    PayeeStatus,
    PayeeType,
    PayoutMethod,
    PayoutMethodChange,
    PayoutSchedule,
)
from payouts.models.payouts import AttemptStatus, Payout, PayoutAttempt, PayoutTransition
from payouts.models.platforms import (
    ApiKey,
    FeeBearer,
    FeeRule,
    Platform,
    ScheduleFrequency,
    Speed,
)

__all__ = [
    "ApiKey",
    "AttemptStatus",
    "BatchStatus",
    "Earning",
    "FeeBearer",
    "FeeRule",
    "Funding",
    "FundingStatus",
    "IdempotencyKey",
    "ItemStatus",
    "MethodStatus",
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
]
