"""``manage.py create_platform NAME [--currency USD ...]``: a platform, its book, its accounts
and a first API key, printed on the last line (the only time it is shown)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from payouts.platforms.services import api_key_create, platform_create


class Command(BaseCommand):
    help = "Create a platform with its ledger book, chart of accounts and a first API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--code", default="", help="URL-safe code (default: from the name)")
        parser.add_argument(
            "--currency",
            action="append",
            dest="currencies",
            help="a currency the platform pays in (repeatable; default USD)",
        )
        parser.add_argument("--fee-bearer", choices=["payee", "platform"], default="payee")
        parser.add_argument(
            "--approval-threshold",
            action="append",
            default=[],
            metavar="CCY=AMOUNT",
            help="payouts at or above this need a second person's approval (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        thresholds = {}
        for item in options["approval_threshold"]:
            currency, _, amount = item.partition("=")
            if not amount:
                raise CommandError(f"--approval-threshold takes CCY=AMOUNT, not {item!r}")
            thresholds[currency.upper()] = amount
        try:
            platform = platform_create(
                name=options["name"],
                code=options["code"],
                currencies=options["currencies"] or ["USD"],
                fee_bearer=options["fee_bearer"],
                approval_thresholds=thresholds,
            )
            issued = api_key_create(platform=platform, name="created with the platform")
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(
            f"platform {platform.code} (id {platform.id}, book {platform.book_id}) in "
            f"{', '.join(platform.currencies)}; API key (shown once):"
        )
        self.stdout.write(issued.secret)
