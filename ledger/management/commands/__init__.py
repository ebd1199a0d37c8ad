"""Input parsing and output files shared by the ledger's management commands.

Bad input becomes a ``CommandError`` with a plain message (exit status 1, no traceback); a
malformed argument is refused by the parser itself (exit status 2, with the usage line).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from django.core.management.base import CommandError, CommandParser

from ledger import selectors
from ledger.types import BookInfo

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Larger ids are out of range for a bigint primary key: such a value can only be a code.
_MAX_ID_DIGITS = 18


def date_arg(value: str) -> dt.date:
    """argparse ``type`` for a YYYY-MM-DD date."""
    text = value.strip()
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{value!r} is not a date (expected YYYY-MM-DD)")


def add_book_argument(parser: CommandParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--book",
        required=required,
        metavar="CODE_OR_ID",
        help="the book, by code or by numeric id",
    )


def book_resolve(value: str) -> BookInfo:
    """The book with this code or, failing that, this numeric id; ``CommandError`` if neither."""
    text = value.strip()
    book = selectors.book_get(code=text) if text else None
    if book is None and text.isascii() and text.isdigit() and len(text) <= _MAX_ID_DIGITS:
        book = selectors.book_get(book_id=int(text))
    if book is None:
        raise CommandError(f"unknown book {value!r}: give an existing book code or id")
    return book


@contextmanager
def stdout_may_close() -> Iterator[None]:
    """Stop quietly when the reader of stdout goes away (``| head``), as Unix tools do."""
    try:
        yield
    except BrokenPipeError:
        # Python's own advice: point stdout at /dev/null so the final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None


def output_check(path: str) -> Path:
    """``path`` as a ``Path`` whose folder exists, or ``CommandError``."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise CommandError(f"cannot write {path}: it is a directory")
    if not target.parent.is_dir():
        raise CommandError(f"cannot write {path}: folder {target.parent} does not exist")
    return target


@contextmanager
def output_file(path: str) -> Iterator[TextIO]:
    """A text file (UTF-8, ``newline=""`` for the csv module) that replaces ``path`` only once
    it is complete; on any error the partial file is removed and ``path`` is left untouched."""
    target = output_check(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        handle = partial.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with handle:
            yield handle
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
