"""Fixtures for the batches tests: a funded platform with an approval threshold, and payees
with a method and money to pay out."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform
from tests.factories import PlatformFactory
from tests.support.payouts import bank_method, earn, fund


@pytest.fixture
def plat(db: None) -> Platform:
    """USD and EUR, approval at 1,000.00 USD; fees (sandbox): standard 0.25, instant 0.50 + 1%."""
    platform: Platform = PlatformFactory.create(approval_thresholds={"USD": "1000.00"})
    fund(platform, "100000.00")
    return platform


@pytest.fixture
def payee_with(
    plat: Platform, make_payee: Callable[..., Payee]
) -> Callable[..., tuple[Payee, PayoutMethod]]:
    """A payee with a USD bank method and ``available`` to pay out."""

    def make(available: str, external_id: str = "") -> tuple[Payee, PayoutMethod]:
        payee = make_payee(platform=plat, external_id=external_id)
        method = bank_method(plat, payee)
        if available != "0.00":
            earn(plat, payee, available)
        return payee, method

    return make
