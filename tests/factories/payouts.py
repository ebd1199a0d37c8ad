"""factory_boy factories for the payouts objects, each built through its room's service (so a
platform opens its ledger accounts, a funding or an earning posts its entries, a payout places
its hold), never by writing rows."""

from __future__ import annotations

import time
from typing import Any

import factory

from payouts.batches.models import PayoutBatch
from payouts.batches.services import batch_create
from payouts.funds.models import Earning, Funding
from payouts.funds.services import earning_create, funding_create
from payouts.lifecycle.models import Payout
from payouts.lifecycle.services import payout_create
from payouts.payees.models import Payee, PayoutMethod
from payouts.payees.services import method_add, payee_create
from payouts.platforms.models import Platform
from payouts.platforms.services import IssuedKey, api_key_create, platform_create

ACTOR = "user:maker"
ROUTING = "021000021"


def _unique(prefix: str) -> Any:
    return factory.LazyFunction(lambda: f"{prefix}{time.monotonic_ns()}")


class PlatformFactory(factory.Factory):
    """``platform_create``: USD and EUR, with its book and accounts opened."""

    class Meta:
        model = Platform

    name = _unique("Acme ")
    currencies = factory.LazyFunction(lambda: ["USD", "EUR"])

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> Platform:
        return platform_create(**kwargs)


class ApiKeyFactory(factory.Factory):
    """``api_key_create``: the issued key, ``.api_key`` and the ``.secret`` shown only now."""

    class Meta:
        model = IssuedKey

    platform = factory.SubFactory(PlatformFactory)
    name = "tests"
    scopes = None

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> IssuedKey:
        return api_key_create(**kwargs)


class PayeeFactory(factory.Factory):
    """``payee_create``: an individual in the US, Ada Lovelace."""

    class Meta:
        model = Payee

    platform = factory.SubFactory(PlatformFactory)
    external_id = _unique("p-")
    type = "individual"
    legal_name = "Ada Lovelace"
    email = "ada@example.com"
    country = "US"

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> Payee:
        return payee_create(**kwargs)


def method_details(type: str, holder: str, account_number: str = "000123456789") -> dict[str, Any]:
    """A valid submission for each payout method type (``account_number`` for a US bank
    account, whose last digits choose the sandbox's outcome)."""
    name = {"account_holder_name": holder}
    return {
        "us_bank_account": {
            "routing_number": ROUTING,
            "account_number": account_number,
            **name,
        },
        "iban": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX", **name},
        "clabe": {"clabe": "002010077777777771", **name},
        "paypal": {"email": "ada@example.com", "country": "US"},
        "venmo": {"phone": "+1 415 555 0132"},
        "debit_card": {
            "token": "tok_1N3T00LkdIwHu7ix",
            "last4": "4242",
            "brand": "visa",
            "country": "US",
        },
        "pix": {"key": "52998224725", "key_type": "cpf"},
        "upi": {"vpa": "ravi.kumar@okaxis"},
    }[type]


METHOD_CURRENCY = {
    "us_bank_account": "USD",
    "iban": "EUR",
    "clabe": "MXN",
    "paypal": "USD",
    "venmo": "USD",
    "debit_card": "USD",
    "pix": "BRL",
    "upi": "INR",
}


class PayoutMethodFactory(factory.Factory):
    """``method_add``: a valid method of ``type`` (a US bank account unless told) for ``payee``,
    held in the payee's name."""

    class Meta:
        model = PayoutMethod

    class Params:
        account_number = "000123456789"

    payee = factory.SubFactory(PayeeFactory)
    platform = factory.LazyAttribute(lambda o: o.payee.platform)
    type = "us_bank_account"
    currency = factory.LazyAttribute(lambda o: METHOD_CURRENCY[o.type])
    fields = factory.LazyAttribute(
        lambda o: method_details(o.type, o.payee.legal_name, o.account_number)
    )
    actor = ACTOR

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> PayoutMethod:
        payee = kwargs.pop("payee")
        return method_add(payee_id=payee.id, **kwargs)


class FundingFactory(factory.Factory):
    """``funding_create``: money in for the platform (cash -> funding), 1,000.00 USD."""

    class Meta:
        model = Funding

    platform = factory.SubFactory(PlatformFactory)
    amount = "1000.00"
    currency = "USD"
    reference = _unique("wire-")
    actor = ACTOR

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> Funding:
        return funding_create(**kwargs)


class EarningFactory(factory.Factory):
    """``earning_create``: the payee earns from its platform's funding (fund the platform
    first: FundingFactory)."""

    class Meta:
        model = Earning

    payee = factory.SubFactory(PayeeFactory)
    platform = factory.LazyAttribute(lambda o: o.payee.platform)
    amount = "100.00"
    currency = "USD"
    actor = ACTOR

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> Earning:
        payee = kwargs.pop("payee")
        return earning_create(payee_id=payee.id, **kwargs)


class PayoutFactory(factory.Factory):
    """``payout_create`` in USD to ``method``'s payee, by the maker (the payee needs an available
    balance: EarningFactory)."""

    class Meta:
        model = Payout

    method = factory.SubFactory(PayoutMethodFactory)
    payee_id = factory.LazyAttribute(lambda o: o.method.payee_id)
    platform = factory.LazyAttribute(lambda o: o.method.payee.platform)
    amount = "10.00"
    currency = "USD"
    actor = ACTOR

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> Payout:
        method = kwargs.pop("method")
        return payout_create(method_id=method.id, **kwargs)


class PayoutBatchFactory(factory.Factory):
    """``batch_create`` with ``items`` (each validated and, once approved, executed)."""

    class Meta:
        model = PayoutBatch

    platform = factory.SubFactory(PlatformFactory)
    items = factory.LazyFunction(list)
    actor = ACTOR

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> PayoutBatch:
        return batch_create(**kwargs)
