"""factory_boy factories, each built through the services (``from tests.factories import X``)."""

from tests.factories.ledger import AccountFactory, BookFactory
from tests.factories.payouts import (
    ApiKeyFactory,
    EarningFactory,
    FundingFactory,
    PayeeFactory,
    PayoutBatchFactory,
    PayoutFactory,
    PayoutMethodFactory,
    PlatformFactory,
)
from tests.factories.webhooks import WebhookEndpointFactory

__all__ = [
    "AccountFactory",
    "ApiKeyFactory",
    "BookFactory",
    "EarningFactory",
    "FundingFactory",
    "PayeeFactory",
    "PayoutBatchFactory",
    "PayoutFactory",
    "PayoutMethodFactory",
    "PlatformFactory",
    "WebhookEndpointFactory",
]
