"""The ledger admin: read-only pages, the trial balance and account statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from ledger import services
from ledger.models import Account, Entry, Posting
from ledger.types import AccountInfo, BookInfo, Line

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 2)


@pytest.fixture
def posted(book: BookInfo, open_account: Callable[..., AccountInfo]) -> dict[str, AccountInfo]:
    cash = open_account("cash", "asset")
    funding = open_account("funding", "liability", floor="0")
    payee = open_account("payee:1:available", "liability", floor="0")
    services.entry_post(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="f1",
        effective_date=DAY,
        memo="wire 42",
        lines=[Line(cash.id, "debit", "150.00"), Line(funding.id, "credit", "150.00")],
    )
    services.entry_post(
        book_id=book.id,
        kind="earning.credited",
        idempotency_key="e1",
        effective_date=DAY + dt.timedelta(days=1),
        lines=[Line(funding.id, "debit", "40.00"), Line(payee.id, "credit", "40.00")],
    )
    return {"cash": cash, "funding": funding, "payee": payee}


def test_changelists_and_detail_pages_render(
    admin_client: Client, posted: dict[str, AccountInfo]
) -> None:
    entry = Entry.objects.get(idempotency_key="f1")
    for url in (
        reverse("admin:ledger_book_changelist"),
        reverse("admin:ledger_account_changelist"),
        reverse("admin:ledger_entry_changelist"),
        reverse("admin:ledger_account_change", args=[posted["cash"].id]),
        reverse("admin:ledger_entry_change", args=[entry.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    accounts = admin_client.get(reverse("admin:ledger_account_changelist")).content.decode()
    assert "150.00" in accounts and "110.00" in accounts
    detail = admin_client.get(
        reverse("admin:ledger_entry_change", args=[entry.pk])
    ).content.decode()
    assert "150.00 USD" in detail  # the postings inline


def test_ledger_is_read_only_in_the_admin(
    admin_client: Client, posted: dict[str, AccountInfo]
) -> None:
    entry = Entry.objects.get(idempotency_key="f1")
    assert admin_client.get(reverse("admin:ledger_entry_add")).status_code == 403
    assert admin_client.get(reverse("admin:ledger_account_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:ledger_entry_delete", args=[entry.pk])).status_code == 403
    )
    before = (
        Entry.objects.count(),
        Posting.objects.count(),
        list(Account.objects.values_list("balance_minor", flat=True).order_by("id")),
    )
    response = admin_client.post(
        reverse("admin:ledger_entry_change", args=[entry.pk]), {"memo": "edited", "kind": "x"}
    )
    assert response.status_code == 403
    response = admin_client.post(
        reverse("admin:ledger_entry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk]},
    )
    assert response.status_code in (200, 302)
    after = (
        Entry.objects.count(),
        Posting.objects.count(),
        list(Account.objects.values_list("balance_minor", flat=True).order_by("id")),
    )
    assert after == before
    assert Entry.objects.get(pk=entry.pk).memo == "wire 42"


def test_trial_balance_page(
    admin_client: Client, book: BookInfo, posted: dict[str, AccountInfo]
) -> None:
    url = reverse("admin:ledger_trial_balance")
    page = admin_client.get(url, {"book": book.id, "as_of": DAY.isoformat(), "currency": "USD"})
    assert page.status_code == 200
    report = page.context["report"]
    assert [(r.code, str(r.debit), str(r.credit)) for r in report.rows] == [
        ("cash", "150.00", "0.00"),
        ("funding", "0.00", "150.00"),
        ("payee:1:available", "0.00", "0.00"),
    ]
    html = page.content.decode()
    assert "Total USD" in html and "balanced" in html and "NOT balanced" not in html
    later = admin_client.get(
        url, {"book": book.id, "as_of": (DAY + dt.timedelta(days=1)).isoformat()}
    )
    assert [(r.code, str(r.credit)) for r in later.context["report"].rows if r.credit] == [
        ("funding", "110.00"),
        ("payee:1:available", "40.00"),
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"book": "999999", "as_of": "2026-11-02"},
        {"book": "1", "as_of": "not-a-date"},
        {"book": "x"},
    ],
)
def test_trial_balance_bad_input_shows_form_errors(
    admin_client: Client, params: dict[str, str]
) -> None:
    page = admin_client.get(reverse("admin:ledger_trial_balance"), params)
    assert page.status_code == 200
    assert page.context["form"].errors
    assert page.context["report"] is None


def test_statement_page(admin_client: Client, posted: dict[str, AccountInfo]) -> None:
    url = reverse("admin:ledger_account_statement", args=[posted["funding"].id])
    page = admin_client.get(
        url,
        {
            "date_from": (DAY + dt.timedelta(days=1)).isoformat(),
            "date_to": (DAY + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert page.status_code == 200
    statement = page.context["statement"]
    assert str(statement.opening_balance) == "150.00"
    assert [(str(line.amount), str(line.balance)) for line in statement.lines] == [
        ("40.00", "110.00")
    ]
    assert str(statement.closing_balance) == "110.00"
    html = page.content.decode()
    assert "Opening balance" in html and "110.00" in html
    default = admin_client.get(url)
    assert default.status_code == 200 and default.context["form"].is_valid()


def test_statement_bad_input(admin_client: Client, posted: dict[str, AccountInfo]) -> None:
    url = reverse("admin:ledger_account_statement", args=[posted["funding"].id])
    page = admin_client.get(url, {"date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert page.status_code == 200
    assert page.context["statement"] is None
    assert "after the end date" in page.content.decode()
    bad = admin_client.get(url, {"date_from": "yesterday", "date_to": "2026-11-01"})
    assert bad.status_code == 200 and bad.context["form"].errors
    missing = admin_client.get(reverse("admin:ledger_account_statement", args=[987654]))
    assert missing.status_code == 404


def test_anonymous_users_are_sent_to_login(client: Client, posted: dict[str, AccountInfo]) -> None:
    for url in (
        reverse("admin:ledger_trial_balance"),
        reverse("admin:ledger_account_statement", args=[posted["cash"].id]),
        reverse("admin:ledger_entry_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
