"""A payee's balances per currency: its ledger accounts, and what it has been paid."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from core.db.names import table
from ledger import selectors as ledger_selectors
from ledger.money import to_minor
from payouts.common.accounts import available_code, held_code
from payouts.lifecycle.models import Payout
from payouts.lifecycle.rules import PayoutStatus
from payouts.payees.models import Payee
from payouts.payees.selectors import payee_missing
from payouts.platforms.models import Platform


@dataclass(frozen=True)
class PayeeBalance:
    currency: str
    available_minor: int
    held_minor: int
    lifetime_paid_minor: int


_PAID_SQL = f"""
    SELECT o.currency, o.paid_minor
      FROM {table(Payee)} p
      LEFT JOIN LATERAL (
            SELECT currency, sum(net_minor) AS paid_minor
              FROM {table(Payout)}
             WHERE payee_id = p.id AND status = %s
             GROUP BY currency) o ON true
     WHERE p.id = %s AND p.platform_id = %s
"""


def payee_balances(*, platform: Platform, payee_id: int) -> list[PayeeBalance]:
    """A payee's balances in each currency it has ledger accounts in, by currency.

    ``available`` and ``held`` are the balances of its ``payee:<id>:available`` and
    ``payee:<id>:held`` ledger accounts. Lifetime paid is not a ledger account (settled money
    leaves through per-rail in-transit accounts shared by every payee), so it is the sum of the
    net amounts of the payee's payouts whose status is ``paid``: one that was returned has moved
    on to ``returned`` and no longer counts.

    Two queries: the payee (its platform checked) with its paid totals, then the ledger
    balances. Raises ``PayeeNotFound`` for a payee that is not this platform's.
    """
    with connection.cursor() as cursor:
        cursor.execute(_PAID_SQL, [PayoutStatus.PAID.value, payee_id, platform.id])
        rows = cursor.fetchall()
    if not rows:
        raise payee_missing(payee_id)
    paid = {currency: int(minor) for currency, minor in rows if currency is not None}
    available_, held_ = available_code(payee_id), held_code(payee_id)
    ledger: dict[str, dict[str, int]] = {}
    for found in ledger_selectors.balances_by_code(
        book_id=platform.book_id, codes=[available_, held_]
    ):
        ledger.setdefault(found.currency, {})[found.code] = to_minor(found.balance, found.currency)
    return [
        PayeeBalance(
            currency=currency,
            available_minor=ledger.get(currency, {}).get(available_, 0),
            held_minor=ledger.get(currency, {}).get(held_, 0),
            lifetime_paid_minor=paid.get(currency, 0),
        )
        for currency in sorted(set(ledger) | set(paid))
    ]
