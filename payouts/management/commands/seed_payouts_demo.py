"""Demo data for ``make run``: a platform with payees, money, and payouts in several states.

The first run creates the platform ``demo-marketplace`` (printing its API key once), payees with
methods (some carrying the sandbox's magic numbers), a funding, earnings and payouts that end
paid, failed, returned, canceled, awaiting approval and in review. Every run adds one fresh
payout, so there is always one to watch move to ``paid`` in the admin within seconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from payouts.funds.services import earning_create, funding_create
from payouts.lifecycle.models import Payout
from payouts.lifecycle.services import payout_cancel, payout_create
from payouts.payees import services as payee_services
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_create, platform_create

CODE = "demo-marketplace"
ACTOR = "user:demo-seed"
ROUTING = "021000021"
# external id, name, country, method type, currency, method fields
PAYEES: list[tuple[str, str, str, str, str, dict[str, str]]] = [
    (
        "driver-17",
        "Ada Lovelace",
        "US",
        "us_bank_account",
        "USD",
        {"routing_number": ROUTING, "account_number": "000123456789"},
    ),
    (
        "driver-18",
        "Grace Hopper",
        "US",
        "us_bank_account",
        "USD",
        {"routing_number": ROUTING, "account_number": "000987650001"},
    ),  # fails (R01)
    (
        "driver-19",
        "Katherine Johnson",
        "US",
        "us_bank_account",
        "USD",
        {"routing_number": ROUTING, "account_number": "000555550002"},
    ),  # paid, then returned
    (
        "creator-7",
        "Hedy Lamarr",
        "DE",
        "iban",
        "EUR",
        {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    ),
    ("affiliate-3", "Alan Turing", "GB", "paypal", "USD", {"email": "alan@example.com"}),
]


class Command(BaseCommand):
    help = "Seed the demo platform (once) and add a fresh payout to watch (every run)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            platform = Platform.objects.filter(code=CODE).first()
            if platform is None:
                platform = self._create()
            payout = self._watch_me(platform)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(
            f"seed_payouts_demo: payout {payout.id} ({payout.status}) was just created: watch it "
            f"at /admin/payouts/payout/{payout.id}/change/"
        )

    def _create(self) -> Platform:
        with transaction.atomic():
            platform = platform_create(
                name="Demo Marketplace",
                code=CODE,
                currencies=["USD", "EUR"],
                approval_thresholds={"USD": "5000.00", "EUR": "5000.00"},
                review_thresholds={"USD": "20000.00"},
            )
            issued = api_key_create(platform=platform, name="demo")
            funding_create(
                platform=platform,
                amount="100000.00",
                currency="USD",
                reference="demo-wire-usd",
                actor=ACTOR,
            )
            funding_create(
                platform=platform,
                amount="20000.00",
                currency="EUR",
                reference="demo-wire-eur",
                actor=ACTOR,
            )
            payees = []
            for external_id, name, country, type_, currency, fields in PAYEES:
                payee = payee_services.payee_create(
                    platform=platform,
                    external_id=external_id,
                    type="individual",
                    legal_name=name,
                    email=f"{external_id}@example.com",
                    country=country,
                )
                holder = (
                    {"account_holder_name": name} if type_ in {"us_bank_account", "iban"} else {}
                )
                method = payee_services.method_add(
                    platform=platform,
                    payee_id=payee.id,
                    type=type_,
                    currency=currency,
                    fields={**fields, **holder},
                    actor=ACTOR,
                )
                earning_create(
                    platform=platform,
                    payee_id=payee.id,
                    amount="30000.00" if external_id == "driver-17" else "2000.00",
                    currency=currency,
                    description="November earnings",
                    actor=ACTOR,
                )
                payees.append((payee, method, currency))
        # Each of these goes its own way once the worker and the sandbox take it.
        for (payee, method, currency), amount in zip(
            payees, ["120.00", "80.00", "64.50", "45.00", "30.00"], strict=True
        ):
            self._pay(platform, payee=payee, method=method, currency=currency, amount=amount)
        ada, ada_method, _ = payees[0]
        self._pay(
            platform, payee=ada, method=ada_method, currency="USD", amount="6000.00"
        )  # awaiting approval
        self._pay(
            platform, payee=ada, method=ada_method, currency="USD", amount="21000.00"
        )  # in review
        later = self._pay(
            platform,
            payee=ada,
            method=ada_method,
            currency="USD",
            amount="15.00",
            when=timezone.now() + dt.timedelta(days=1),
        )
        payout_cancel(platform=platform, payout_id=later.id, actor=ACTOR, reason="demo: canceled")
        self._pay(
            platform,
            payee=ada,
            method=ada_method,
            currency="USD",
            amount="25.00",
            when=timezone.now() + dt.timedelta(days=1),
        )
        self.stdout.write(f"seed_payouts_demo: platform {CODE} created; its API key (shown once):")
        self.stdout.write(f"seed_payouts_demo: {issued.secret}")
        return platform

    def _pay(
        self,
        platform: Platform,
        *,
        payee: Payee,
        method: Any,
        currency: str,
        amount: str,
        when: dt.datetime | None = None,
    ) -> Payout:
        return payout_create(
            platform=platform,
            payee_id=payee.id,
            method_id=method.id,
            amount=amount,
            currency=currency,
            actor=ACTOR,
            description="demo payout",
            scheduled_for=when,
        )

    def _watch_me(self, platform: Platform) -> Payout:
        ada = Payee.objects.get(platform=platform, external_id="driver-17")
        method = ada.methods.filter(status="active").order_by("id").first()
        return self._pay(platform, payee=ada, method=method, currency="USD", amount="20.00")
