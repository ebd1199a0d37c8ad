"""``manage.py rotate_encryption_keys``: every stored token under the newest field encryption key.

To rotate: put a new key in front of FIELD_ENCRYPTION_KEYS (``new,old``) and restart every
process, run this, then drop the old key and restart again. It walks payout methods and webhook
endpoints by id, a batch per transaction, re-encrypting what is not under the first key yet
(``core.resealing``). Running it twice rewrites nothing the second time; a run stopped anywhere
(Ctrl-C, a failed row) keeps the batches it committed, and running it again finishes the rest.
A token it cannot open (a key missing from the list, a row written by hand, a payout method's
token of another row) stops it with the row named, and the old keys must then stay.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.progress import add_progress_argument, bar_print, progress_bar
from core.resealing import ResealBatch, ResealFailed
from payouts.payees.secrets import methods_count, methods_reseal
from webhooks.keys import endpoints_count, endpoints_reseal

DEFAULT_BATCH_SIZE = 500
MAX_BATCH_SIZE = 10_000

Reseal = Callable[..., ResealBatch]


def _batch_size(value: str) -> int:
    try:
        size = int(value)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise argparse.ArgumentTypeError(f"a whole number from 1 to {MAX_BATCH_SIZE}")
    return size


class Command(BaseCommand):
    help = (
        "Re-encrypt every payout method's values and webhook endpoint's secrets under the first "
        "key of FIELD_ENCRYPTION_KEYS, in batches; idempotent and resumable."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=_batch_size,
            default=DEFAULT_BATCH_SIZE,
            help=f"rows per transaction (default {DEFAULT_BATCH_SIZE})",
        )
        add_progress_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        tables: list[tuple[str, Callable[[], int], Reseal]] = [
            ("payout methods", methods_count, methods_reseal),
            ("webhook endpoints", endpoints_count, endpoints_reseal),
        ]
        for what, count, reseal in tables:
            self._walk(what, count(), reseal, options["batch_size"], not options["no_progress"])
        self.stdout.write(
            "every token is under the first key of FIELD_ENCRYPTION_KEYS: the others can go",
            self.style.SUCCESS,
        )

    def _walk(self, what: str, total: int, reseal: Reseal, size: int, progress: bool) -> None:
        checked = rewritten = 0
        after_id = 0
        with progress_bar(self, total=total, desc=what, unit="row", enabled=progress) as bar:
            while True:
                try:
                    batch = reseal(after_id=after_id, limit=size)
                except ResealFailed as error:
                    bar_print(self, bar, f"{what}: {checked} checked, {rewritten} re-encrypted")
                    raise CommandError(
                        f"{error}. The batches before it are done; fix that row (or configure "
                        "the key it needs) and run the command again"
                    ) from None
                if batch.last_id is None:
                    break
                checked += batch.checked
                rewritten += batch.rewritten
                after_id = batch.last_id
                bar.update(batch.checked)
            bar_print(self, bar, f"{what}: {checked} checked, {rewritten} re-encrypted")
