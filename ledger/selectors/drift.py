"""Verification: re-derive a book from its postings and report every drift from what is stored."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Drift:
    kind: str
    subject: str
    detail: str


def ledger_drift(*, book_id: int) -> list[Drift]:
    """Re-derive one book from its postings and list every disagreement (empty when sound).

    Checks that each account's stored balance and version equal the sum and count of its
    postings, that every running balance follows from the one before it, that each entry
    balances per currency with its declared line count, and that the trial balance nets to zero
    per currency.
    """
    found: list[Drift] = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, a.code, a.currency, a.balance_minor, a.version,
                   ledger_normal_sign(a.type) * coalesce(s.debit_net, 0), coalesce(s.n, 0)
              FROM ledger_account a
              LEFT JOIN (SELECT account_id, count(*) AS n,
                                sum(CASE WHEN direction = 'D' THEN amount_minor
                                         ELSE -amount_minor END) AS debit_net
                           FROM ledger_posting WHERE book_id = %s
                          GROUP BY account_id) s ON s.account_id = a.id
             WHERE a.book_id = %s
               AND (a.balance_minor <> ledger_normal_sign(a.type) * coalesce(s.debit_net, 0)
                    OR a.version <> coalesce(s.n, 0))
            """,
            [book_id, book_id],
        )
        for account_id, code, ccy, balance, version, derived, count in cursor.fetchall():
            found.append(
                Drift(
                    "account_balance",
                    f"account {account_id} {code} ({ccy})",
                    f"stored balance {balance} version {version}, "
                    f"postings add up to {derived} over {count}",
                )
            )
        cursor.execute(
            """
            SELECT id, account_id, version_after, balance_after_minor, want_balance, want_version
              FROM (SELECT p.id, p.account_id, p.version_after, p.balance_after_minor,
                           sum(ledger_normal_sign(a.type) * CASE WHEN p.direction = 'D'
                               THEN p.amount_minor ELSE -p.amount_minor END)
                               OVER w AS want_balance,
                           row_number() OVER w AS want_version
                      FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id
                     WHERE p.book_id = %s
                    WINDOW w AS (PARTITION BY p.account_id ORDER BY p.version_after)) r
             WHERE balance_after_minor <> want_balance OR version_after <> want_version
             LIMIT 100
            """,
            [book_id],
        )
        for posting_id, account_id, version, balance, want_balance, want_version in cursor:
            found.append(
                Drift(
                    "running_balance",
                    f"posting {posting_id} on account {account_id}",
                    f"records balance {balance} version {version}, "
                    f"expected {want_balance} version {want_version}",
                )
            )
        cursor.execute(
            """
            SELECT e.id, e.line_count, count(p.id)
              FROM ledger_entry e LEFT JOIN ledger_posting p ON p.entry_id = e.id
             WHERE e.book_id = %s
             GROUP BY e.id
            HAVING count(p.id) <> e.line_count
             LIMIT 100
            """,
            [book_id],
        )
        for entry_id, line_count, count in cursor.fetchall():
            found.append(
                Drift(
                    "entry_lines", f"entry {entry_id}", f"declares {line_count} lines, has {count}"
                )
            )
        cursor.execute(
            """
            SELECT entry_id, currency,
                   sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END)
              FROM ledger_posting WHERE book_id = %s
             GROUP BY entry_id, currency
            HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0
             LIMIT 100
            """,
            [book_id],
        )
        for entry_id, ccy, net in cursor.fetchall():
            found.append(
                Drift("entry_balance", f"entry {entry_id}", f"{ccy} debits exceed credits by {net}")
            )
        cursor.execute(
            """
            SELECT a.currency, sum(ledger_normal_sign(a.type) * a.balance_minor)
              FROM ledger_account a
             WHERE a.book_id = %s
             GROUP BY a.currency
            HAVING sum(ledger_normal_sign(a.type) * a.balance_minor) <> 0
            """,
            [book_id],
        )
        for ccy, net in cursor.fetchall():
            found.append(
                Drift("trial_balance", f"book {book_id} ({ccy})", f"debits exceed credits by {net}")
            )
    return found
