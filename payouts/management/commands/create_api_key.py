"""``manage.py create_api_key PLATFORM``: a new API key for a platform, printed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from payouts.platforms.selectors import platform_get
from payouts.platforms.services import ALL_SCOPES, api_key_create


class Command(BaseCommand):
    help = "Issue a new API key for a platform (by code); the key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("platform", help="the platform's code")
        parser.add_argument("--name", default="")
        parser.add_argument("--scope", action="append", dest="scopes", choices=ALL_SCOPES)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            platform = platform_get(code=options["platform"])
            issued = api_key_create(
                platform=platform, name=options["name"], scopes=options["scopes"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(f"key {issued.api_key.prefix} for {platform.code} (shown once):")
        self.stdout.write(issued.secret)
