"""``manage.py revoke_api_key PREFIX``: revoke a key at once (by its public prefix)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from payouts.platforms.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (sk_ and 12 hex digits) or the full key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="the key's prefix, or the whole key")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["key"][:15]
        try:
            key = api_key_revoke(prefix=prefix)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(
            f"revoked {key.prefix} of {key.platform.code} at {key.revoked_at:%Y-%m-%d %H:%M:%S %Z}"
        )
