"""How amounts and times read wherever the payouts app shows an object (the API's responses and
the events' data alike)."""

from __future__ import annotations

import datetime as dt

from ledger.money import from_minor


def money(amount_minor: int | None, currency: str) -> str | None:
    """Minor units as the API shows them: a string with the currency's exponent ("25.00")."""
    return None if amount_minor is None else str(from_minor(amount_minor, currency))


def when(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")
