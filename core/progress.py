"""Progress bars for management commands that walk many rows (exports, verification, key
rotation): on the command's stderr, and only on a terminal."""

from __future__ import annotations

import sys
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm


def add_progress_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="do not show a progress bar (it is hidden anyway when stderr is not a terminal)",
    )


def progress_bar(
    command: BaseCommand, *, total: int | None, desc: str, unit: str, enabled: bool
) -> tqdm[Any]:
    """A tqdm bar on the command's stderr, shown only when ``enabled`` and stderr is a TTY."""
    # tqdm redraws with carriage returns; Django's OutputWrapper would add a newline to each.
    stream = cast(TextIO, getattr(command.stderr, "_out", sys.stderr))
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=stream,
        disable=not (enabled and stream.isatty()),
    )


def bar_print(command: BaseCommand, bar: tqdm[Any], text: str) -> None:
    """Print a line on the command's stdout without tearing the progress bar on a terminal."""
    with bar.external_write_mode(file=getattr(command.stdout, "_out", sys.stdout)):
        command.stdout.write(text)
