"""The trial_balance command: tables, dates, currencies, CSV and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management.base import CommandError

from ledger.types import BookInfo
from tests.ledger.support import Journal, run

# --- trial_balance -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_trial_balance_table(journal: Journal) -> None:
    out, _ = run("trial_balance", "--book", journal.book.code, "--as-of", "2026-11-30")

    code = journal.book.code
    assert out == (
        f"Trial balance of book {code} (id {journal.book.id}) as of 2026-11-30\n"
        "\n"
        "Currency  Account             Type          Debit    Credit\n"
        "--------  ------------------  ---------  --------  --------\n"
        "EUR       cash                asset      1,234.56\n"
        "EUR       funding             liability            1,234.56\n"
        "--------  ------------------  ---------  --------  --------\n"
        "EUR       Total                          1,234.56  1,234.56  balanced\n"
        "\n"
        "USD       cash                asset        100.00\n"
        "USD       fees                revenue                  0.50\n"
        "USD       funding             liability               75.00\n"
        "USD       payee:p1:available  liability               24.50\n"
        "--------  ------------------  ---------  --------  --------\n"
        "USD       Total                            100.00    100.00  balanced\n"
        "\n"
        "Balanced: yes (debits equal credits in every currency)\n"
    )


@pytest.mark.django_db
def test_trial_balance_as_of_an_earlier_date_and_one_currency(journal: Journal) -> None:
    out, _ = run(
        "trial_balance", "--book", journal.book.code, "--as-of", "2026-11-03", "--currency", "usd"
    )

    assert out == (
        f"Trial balance of book {journal.book.code} (id {journal.book.id}) "
        "as of 2026-11-03 in USD\n"
        "\n"
        "Currency  Account             Type        Debit  Credit\n"
        "--------  ------------------  ---------  ------  ------\n"
        "USD       cash                asset      100.00\n"
        "USD       fees                revenue\n"
        "USD       funding             liability           75.00\n"
        "USD       payee:p1:available  liability           25.00\n"
        "--------  ------------------  ---------  ------  ------\n"
        "USD       Total                          100.00  100.00  balanced\n"
        "\n"
        "Balanced: yes (debits equal credits in every currency)\n"
    )


@pytest.mark.django_db
def test_trial_balance_csv(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "tb.csv"
    accounts = journal.accounts

    out, err = run(
        "trial_balance",
        "--book",
        journal.book.code,
        "--as-of",
        "2026-11-30",
        "--format",
        "csv",
        "--output",
        str(target),
    )

    assert out == ""
    assert err == f"trial_balance: 6 accounts written to {target}\n"
    assert target.read_bytes().decode("utf-8") == (
        "currency,account_id,account_code,account_name,account_type,debit,credit\r\n"
        f"EUR,{accounts['eur_cash'].id},cash,cash,asset,1234.56,0.00\r\n"
        f"EUR,{accounts['eur_funding'].id},funding,funding,liability,0.00,1234.56\r\n"
        "EUR,,,Total EUR,,1234.56,1234.56\r\n"
        f"USD,{accounts['cash'].id},cash,cash,asset,100.00,0.00\r\n"
        f"USD,{accounts['fees'].id},fees,fees,revenue,0.00,0.50\r\n"
        f"USD,{accounts['funding'].id},funding,funding,liability,0.00,75.00\r\n"
        f"USD,{accounts['available'].id},payee:p1:available,payee:p1:available,liability,0.00,24.50\r\n"
        "USD,,,Total USD,,100.00,100.00\r\n"
    )


@pytest.mark.django_db
def test_trial_balance_of_an_empty_book(book: BookInfo) -> None:
    out, _ = run("trial_balance", "--book", book.code, "--as-of", "2026-11-30")

    assert out.splitlines()[1:] == ["No accounts."]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--book", "nope", "--as-of", "2026-11-30"], "unknown book 'nope'"),
        (["--book", "B"], "the following arguments are required: --as-of"),
        (["--book", "B", "--as-of", "2026-02-30"], "'2026-02-30' is not a date"),
        (["--book", "B", "--as-of", "2026-11-30", "--currency", "XXY"], "XXY is not an ISO 4217"),
        (["--book", "B", "--as-of", "2026-11-30", "--format", "xlsx"], "invalid choice: 'xlsx'"),
    ],
)
def test_trial_balance_bad_input_is_a_command_error(
    book: BookInfo, args: list[str], message: str
) -> None:
    args = [book.code if arg == "B" else arg for arg in args]

    with pytest.raises(CommandError, match=message):
        run("trial_balance", *args)
