"""Reading batch items, from a JSON list or a CSV file, into rows checked one by one.

Nothing here raises for a bad row: a row that cannot be read carries its own ``DomainError``
and becomes an invalid item. Only a file that cannot be a batch at all (no header, unknown
columns, too many rows) is an ``InvalidInput``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from typing import Any

from core.errors import DomainError, InvalidInput
from ledger.errors import InvalidAmount
from payouts.batches.quotes import ItemRequest, as_id
from payouts.common.errors import PayeeNotFound
from payouts.payees.models import Payee
from payouts.platforms.models import Platform, Speed

MAX_ITEMS = 100_000
MAX_DESCRIPTION = 500
ITEM_KEYS = frozenset({"payee", "payout_method", "amount", "currency", "speed", "description"})
REQUIRED_KEYS = ("payee", "payout_method", "amount", "currency")
CSV_COLUMNS = frozenset({*ITEM_KEYS, "external_id"})
# A JSON item may name its payee by external id instead of ``payee``.
EXTERNAL_ID_KEY = "payee_external_id"


@dataclass
class Row:
    """One submitted item: its line, what was submitted, and either a request or an error."""

    line: int
    data: dict[str, Any]
    request: ItemRequest | None = None
    error: DomainError | None = None


def _json_safe(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def item_row(line: int, item: object) -> Row:
    """A JSON item (``{"payee", "payout_method", "amount", "currency", "speed"?,
    "description"?}``) as a row; anything else in it makes the row invalid."""
    if not isinstance(item, dict):
        return Row(line, {"item": _json_safe(item)}, error=InvalidInput("an item is an object"))
    data = {str(k): _json_safe(v) for k, v in item.items()}
    unknown = sorted(set(data) - ITEM_KEYS)
    if unknown:
        return Row(
            line,
            data,
            error=InvalidInput(f"unknown fields: {', '.join(unknown)}", field=unknown[0]),
        )
    for name in REQUIRED_KEYS:
        if item.get(name) in (None, ""):
            return Row(line, data, error=InvalidInput(f"{name} is required", field=name))
    if not isinstance(item["amount"], str):
        # As everywhere in the API: exact decimal strings, never JSON numbers.
        error = InvalidAmount('amounts are strings such as "25.00", not numbers', field="amount")
        return Row(line, data, error=error)
    description = item.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        return Row(
            line,
            data,
            error=InvalidInput(
                f"description is at most {MAX_DESCRIPTION} characters", field="description"
            ),
        )
    request = ItemRequest(
        payee_id=as_id(item["payee"]),
        method_id=as_id(item["payout_method"]),
        amount=item["amount"],
        currency=item["currency"],
        speed=item.get("speed") or Speed.STANDARD,
    )
    return Row(line, data, request=request)


def items_rows(items: object, platform: Platform | None = None) -> list[Row]:
    """The rows of a JSON item list. An item may name its payee by ``payee_external_id``
    instead of ``payee``; those are looked up among ``platform``'s payees. Raises
    ``InvalidInput`` for an empty or oversized list."""
    if not isinstance(items, list) or not items:
        raise InvalidInput("a batch has at least one item", field="items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"a batch has at most {MAX_ITEMS} items", field="items")
    rows = []
    by_external_id = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, dict) and EXTERNAL_ID_KEY in item:
            row = _external_item_row(index, item)
            by_external_id.append(row)
        else:
            row = item_row(index, item)
        rows.append(row)
    if by_external_id:
        assert platform is not None, "payee_external_id needs the platform to look it up"
        _resolve_external_ids(platform, by_external_id, key=EXTERNAL_ID_KEY)
    return rows


def _external_item_row(line: int, item: dict[Any, Any]) -> Row:
    data = {str(k): _json_safe(v) for k, v in item.items()}
    external_id = item[EXTERNAL_ID_KEY]
    if "payee" in item:
        error = InvalidInput("give payee or payee_external_id, not both", field=EXTERNAL_ID_KEY)
        return Row(line, data, error=error)
    if not isinstance(external_id, str) or not external_id.strip():
        error = InvalidInput("payee_external_id is a non-empty string", field=EXTERNAL_ID_KEY)
        return Row(line, data, error=error)
    # A placeholder until every row is read and the external ids are looked up at once.
    rest = {k: v for k, v in item.items() if k != EXTERNAL_ID_KEY}
    row = item_row(line, {**rest, "payee": external_id})
    data[EXTERNAL_ID_KEY] = external_id.strip()
    row.data = data
    return row


def _header(reader: Any) -> list[str]:
    try:
        for raw in reader:
            if any(cell.strip() for cell in raw):
                header = [cell.strip().lstrip("\ufeff").lower() for cell in raw]
                break
        else:
            raise InvalidInput("the CSV is empty: a header row is required", field="csv")
    except csv.Error as exc:
        raise InvalidInput(f"the header row cannot be read: {exc}", field="csv") from None
    unknown = sorted(set(header) - CSV_COLUMNS)
    missing = [c for c in REQUIRED_KEYS if c != "payee" and c not in header]
    if "payee" not in header and "external_id" not in header:
        missing.insert(0, "payee (or external_id)")
    if unknown or missing:
        raise InvalidInput(
            "the first row must be a header naming payee or external_id, payout_method, "
            "amount, currency and optionally speed, description"
            + (f"; unknown columns: {', '.join(unknown)}" if unknown else "")
            + (f"; missing columns: {', '.join(missing)}" if missing else ""),
            field="csv",
        )
    if len(set(header)) != len(header) or {"payee", "external_id"} <= set(header):
        raise InvalidInput(
            "each column appears once, and only one of payee or external_id", field="csv"
        )
    return header


def csv_rows(platform: Platform, csv_text: object) -> list[Row]:
    """The rows of a CSV batch. ``line`` is the row's line in the file (the header is line 1).
    A row with the wrong number of fields or broken quoting is an invalid row naming its line;
    ``external_id`` cells are looked up among the platform's payees. Raises ``InvalidInput``
    for text that is not a string, a missing or unusable header, no rows or too many."""
    if not isinstance(csv_text, str):
        raise InvalidInput("the CSV is text", field="csv")
    reader = csv.reader(io.StringIO(csv_text), strict=True)
    header = _header(reader)
    rows: list[Row] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = reader.line_num
            rows.append(Row(line, {}, error=InvalidInput(f"line {line}: {exc}", line=line)))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(_csv_row(reader.line_num, header, cells))
        if len(rows) > MAX_ITEMS:
            raise InvalidInput(f"a batch has at most {MAX_ITEMS} items", field="csv")
    if not rows:
        raise InvalidInput("a batch has at least one item", field="csv")
    if "external_id" in header:
        _resolve_external_ids(platform, rows)
    return rows


def _csv_row(line: int, header: list[str], cells: list[str]) -> Row:
    if len(cells) != len(header):
        return Row(
            line,
            {"cells": cells[: len(header) + 5]},
            error=InvalidInput(
                f"line {line}: expected {len(header)} fields, got {len(cells)}", line=line
            ),
        )
    data = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
    item: dict[str, object] = {k: v for k, v in data.items() if v != ""}
    if "external_id" in header:
        if "external_id" not in item:
            return Row(
                line, data, error=InvalidInput("external_id is required", field="external_id")
            )
        # A placeholder until every row is read and the external ids are looked up at once.
        item["payee"] = item.pop("external_id")
    row = item_row(line, item)
    row.data = data
    return row


def _resolve_external_ids(platform: Platform, rows: list[Row], key: str = "external_id") -> None:
    wanted = {row.data[key] for row in rows if row.request is not None}
    ids = dict(
        Payee.objects.filter(platform=platform, external_id__in=wanted).values_list(
            "external_id", "id"
        )
    )
    for row in rows:
        if row.request is None:
            continue
        external_id = row.data[key]
        payee_id = ids.get(external_id)
        if payee_id is None:
            row.request = None
            row.error = PayeeNotFound(f"no payee has external_id {external_id!r}", field=key)
        else:
            row.request = replace(row.request, payee_id=payee_id)
