"""List the operations exception queue: open ones by default, newest first."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from payouts.exceptions.models import ExceptionKind, ExceptionStatus
from payouts.exceptions.selectors import exception_list, exception_represent


class Command(BaseCommand):
    help = "List operations exceptions (open ones unless --status says otherwise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--status", choices=[*ExceptionStatus.values, "all"], default=ExceptionStatus.OPEN
        )
        parser.add_argument("--kind", choices=ExceptionKind.values, default="")
        parser.add_argument(
            "--json", action="store_true", help="one JSON object per line, for scripts"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        status = "" if options["status"] == "all" else options["status"]
        found = exception_list(status=status, kind=options["kind"])
        if options["json"]:
            for exception in found.iterator():
                self.stdout.write(json.dumps(exception_represent(exception), sort_keys=True))
            return
        count = 0
        for exception in found.iterator():
            count += 1
            payout = f"payout {exception.payout_id}" if exception.payout_id else "no payout"
            self.stdout.write(
                f"{exception.id:>6}  {exception.status:<8}  {exception.kind:<22}  {payout:<16}"
                f"  {exception.detail}"
            )
        self.stdout.write(f"{count} exception(s)")
