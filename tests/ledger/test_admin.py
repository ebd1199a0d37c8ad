"""The ledger admin: read-only pages, the trial balance and account statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ledger import selectors, services
from ledger.models import Account, Book, Entry, Posting
from ledger.types import AccountInfo, BookInfo, Direction, Line

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 2)


class _Rows(HTMLParser):
    """The text of each table row (th and td cells) inside the element with ``id``."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0  # open tags inside the element; 0 while outside it
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag not in {"input", "br", "img", "meta", "link"}
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "tr":
            self.rows.append([])
        elif tag in {"td", "th"}:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag in {"td", "th"} and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and self.cell is not None:
            self.cell.append(data)


def rows(html: str, element_id: str) -> list[list[str]]:
    parser = _Rows(element_id)
    parser.feed(html)
    assert parser.rows, f"no rows in #{element_id}"
    return parser.rows


def snapshot() -> tuple[object, ...]:
    """Everything the admin could be tempted to write."""
    return (
        list(Book.objects.values_list("id", "code", "name", "closed_through").order_by("id")),
        list(Account.objects.values_list("id", "code", "balance_minor", "version").order_by("id")),
        list(Entry.objects.values_list("id", "kind", "memo").order_by("id")),
        list(Posting.objects.values_list("id", "amount_minor").order_by("id")),
    )


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
        lines=[Line(cash.id, Direction.DEBIT, 15000), Line(funding.id, Direction.CREDIT, 15000)],
    )
    services.entry_post(
        book_id=book.id,
        kind="earning.credited",
        idempotency_key="e1",
        effective_date=DAY + dt.timedelta(days=1),
        lines=[Line(funding.id, Direction.DEBIT, 4000), Line(payee.id, Direction.CREDIT, 4000)],
    )
    return {"cash": cash, "funding": funding, "payee": payee}


# --- read-only model pages --------------------------------------------------------------------


def test_changelists_and_change_pages_render(
    admin_client: Client, book: BookInfo, posted: dict[str, AccountInfo]
) -> None:
    entry = Entry.objects.get(idempotency_key="f1")
    for url in (
        reverse("admin:ledger_book_changelist"),
        reverse("admin:ledger_account_changelist"),
        reverse("admin:ledger_entry_changelist"),
        reverse("admin:ledger_book_change", args=[book.id]),
        reverse("admin:ledger_account_change", args=[posted["cash"].id]),
        reverse("admin:ledger_entry_change", args=[entry.pk]),
        reverse("admin:app_list", args=["ledger"]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url


def test_account_list_shows_decimal_balances(
    admin_client: Client, book: BookInfo, posted: dict[str, AccountInfo]
) -> None:
    html = admin_client.get(reverse("admin:ledger_account_changelist")).content.decode()
    body = rows(html, "result_list")[1:]  # after the header row
    assert [row[:8] for row in body] == [
        ["cash", book.code, "USD", "Asset", "150.00", "-", "1", "1"],
        ["funding", book.code, "USD", "Liability", "110.00", "0.00", "2", "1"],
        ["payee:1:available", book.code, "USD", "Liability", "40.00", "0.00", "1", "1"],
    ]
    found = admin_client.get(reverse("admin:ledger_account_changelist"), {"q": "payee"})
    assert [row[0] for row in rows(found.content.decode(), "result_list")[1:]] == [
        "payee:1:available"
    ]


def test_account_list_follows_the_currency_exponent(
    admin_client: Client, book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    cash = open_account("cash", "asset", currency="JPY")
    funding = open_account("funding", "liability", currency="JPY")
    services.entry_post(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="jpy",
        effective_date=DAY,
        lines=[Line(cash.id, Direction.DEBIT, 1500), Line(funding.id, Direction.CREDIT, 1500)],
    )
    page = admin_client.get(reverse("admin:ledger_account_changelist"), {"currency": "JPY"})
    assert [row[4] for row in rows(page.content.decode(), "result_list")[1:]] == ["1500", "1500"]


def test_account_list_query_count_does_not_grow_with_rows(
    admin_client: Client, open_account: Callable[..., AccountInfo]
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse("admin:ledger_account_changelist")).status_code == 200
        return len(captured)

    open_account("a0")
    few = queries()
    for n in range(1, 12):
        open_account(f"a{n}")
    assert queries() == few


def test_entry_list_and_detail(admin_client: Client, posted: dict[str, AccountInfo]) -> None:
    first = Entry.objects.get(idempotency_key="f1")
    second = Entry.objects.get(idempotency_key="e1")
    html = admin_client.get(reverse("admin:ledger_entry_changelist")).content.decode()
    assert [row[:3] for row in rows(html, "result_list")[1:]] == [
        [str(second.pk), first.book.code, "earning.credited"],
        [str(first.pk), first.book.code, "funding.received"],
    ]
    detail = admin_client.get(reverse("admin:ledger_entry_change", args=[first.pk]))
    postings = rows(detail.content.decode(), "postings-group")
    assert postings[0][:5] == ["Account", "Side", "Amount", "Balance after", "Version after"]
    assert [row[:5] for row in postings[1:]] == [
        ["cash (USD)", "Debit", "150.00 USD", "150.00", "1"],
        ["funding (USD)", "Credit", "150.00 USD", "150.00", "1"],
    ]


def test_add_and_delete_are_refused(admin_client: Client, posted: dict[str, AccountInfo]) -> None:
    entry = Entry.objects.get(idempotency_key="f1")
    objects = {"book": entry.book_id, "account": posted["cash"].id, "entry": entry.pk}
    for model, pk in objects.items():
        assert admin_client.get(reverse(f"admin:ledger_{model}_add")).status_code == 403
        delete = reverse(f"admin:ledger_{model}_delete", args=[pk])
        assert admin_client.get(delete).status_code == 403
        assert admin_client.post(delete, {"post": "yes"}).status_code == 403
        changelist = admin_client.get(reverse(f"admin:ledger_{model}_changelist"))
        assert "delete_selected" not in changelist.content.decode()
        assert changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request) == {}


def test_posts_change_nothing(admin_client: Client, posted: dict[str, AccountInfo]) -> None:
    entry = Entry.objects.get(idempotency_key="f1")
    before = snapshot()
    for url, data in (
        (reverse("admin:ledger_entry_change", args=[entry.pk]), {"memo": "edited", "kind": "x"}),
        (
            reverse("admin:ledger_account_change", args=[posted["cash"].id]),
            {"balance_minor": "999", "code": "renamed"},
        ),
        (
            reverse("admin:ledger_book_change", args=[entry.book_id]),
            {"name": "renamed", "closed_through": "2030-01-01"},
        ),
        (reverse("admin:ledger_entry_add"), {"kind": "x", "effective_date": "2026-11-02"}),
    ):
        assert admin_client.post(url, data).status_code == 403, url
    response = admin_client.post(
        reverse("admin:ledger_entry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert snapshot() == before


def test_links_to_the_report_pages(
    admin_client: Client, book: BookInfo, posted: dict[str, AccountInfo]
) -> None:
    trial_balance = reverse("admin:ledger_trial_balance")
    statement = reverse("admin:ledger_account_statement", args=[posted["cash"].id])
    book_page = admin_client.get(reverse("admin:ledger_book_change", args=[book.id]))
    assert f'href="{trial_balance}?book={book.id}"' in book_page.content.decode()
    app_list = admin_client.get(reverse("admin:app_list", args=["ledger"]))
    assert f'href="{trial_balance}"' in app_list.content.decode()
    account_page = admin_client.get(
        reverse("admin:ledger_account_change", args=[posted["cash"].id])
    )
    assert f'href="{statement}"' in account_page.content.decode()


# --- trial balance ----------------------------------------------------------------------------


def test_trial_balance_page(
    admin_client: Client, book: BookInfo, posted: dict[str, AccountInfo]
) -> None:
    url = reverse("admin:ledger_trial_balance")
    page = admin_client.get(url, {"book": book.id, "as_of": DAY.isoformat(), "currency": "USD"})
    assert page.status_code == 200
    html = page.content.decode()
    assert rows(html, "trial-balance") == [
        ["Account", "Type", "Currency", "Debit", "Credit"],
        ["cash", "asset", "USD", "150.00", "0.00"],
        ["funding", "liability", "USD", "0.00", "150.00"],
        ["payee:1:available", "liability", "USD", "0.00", "0.00"],
        ["Total USD", "150.00", "150.00"],
    ]
    assert "Balanced: debits equal credits" in html and "NOT balanced" not in html
    later = admin_client.get(
        url, {"book": book.id, "as_of": (DAY + dt.timedelta(days=1)).isoformat()}
    )
    assert rows(later.content.decode(), "trial-balance")[1:] == [
        ["cash", "asset", "USD", "150.00", "0.00"],
        ["funding", "liability", "USD", "0.00", "110.00"],
        ["payee:1:available", "liability", "USD", "0.00", "40.00"],
        ["Total USD", "150.00", "150.00"],
    ]


def test_trial_balance_totals_per_currency(
    admin_client: Client, book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    for currency, amount_minor in (("JPY", 1500), ("BHD", 2125)):
        cash = open_account("cash", "asset", currency=currency)
        funding = open_account("funding", "liability", currency=currency)
        services.entry_post(
            book_id=book.id,
            kind="funding.received",
            idempotency_key=f"f-{currency}",
            effective_date=DAY,
            lines=[
                Line(cash.id, Direction.DEBIT, amount_minor),
                Line(funding.id, Direction.CREDIT, amount_minor),
            ],
        )
    page = admin_client.get(
        reverse("admin:ledger_trial_balance"), {"book": book.id, "as_of": DAY.isoformat()}
    )
    assert rows(page.content.decode(), "trial-balance")[1:] == [
        ["cash", "asset", "BHD", "2.125", "0.000"],
        ["funding", "liability", "BHD", "0.000", "2.125"],
        ["cash", "asset", "JPY", "1500", "0"],
        ["funding", "liability", "JPY", "0", "1500"],
        ["Total BHD", "2.125", "2.125"],
        ["Total JPY", "1500", "1500"],
    ]


def test_trial_balance_flags_an_unbalanced_book(
    admin_client: Client, book: BookInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The database keeps every book balanced, so only a broken selector could show this.
    broken = selectors.TrialBalance(
        book=book,
        as_of=DAY,
        rows=(),
        totals=(
            selectors.TrialBalanceTotal("EUR", Decimal("5.00"), Decimal("5.00")),
            selectors.TrialBalanceTotal("USD", Decimal("10.00"), Decimal("9.99")),
        ),
    )
    monkeypatch.setattr(selectors, "trial_balance", lambda **_: broken)
    page = admin_client.get(reverse("admin:ledger_trial_balance"), {"book": book.id})
    html = page.content.decode()
    assert "NOT balanced: debits and credits differ in USD." in html
    assert rows(html, "trial-balance")[-2:] == [
        ["Total EUR", "5.00", "5.00"],
        ["Total USD (NOT balanced)", "10.00", "9.99"],
    ]


def test_trial_balance_defaults(admin_client: Client, book: BookInfo) -> None:
    url = reverse("admin:ledger_trial_balance")
    empty = admin_client.get(url)
    assert empty.status_code == 200
    assert not empty.context["form"].is_bound and empty.context["report"] is None
    assert empty.context["form"]["as_of"].value() == timezone.localdate().isoformat()
    chosen = admin_client.get(url, {"book": book.id})
    assert chosen.context["report"].as_of == timezone.localdate()


@pytest.mark.parametrize(
    "params",
    [
        {"book": "999999", "as_of": "2026-11-02"},
        {"book": "99999999999999999999999", "as_of": "2026-11-02"},
        {"book": "x"},
        {"book": "", "as_of": "2026-11-02"},
        {"as_of": "not-a-date", "currency": "usd", "book": "{book}"},
        {"as_of": "2026-02-30", "book": "{book}"},
    ],
)
def test_trial_balance_bad_input_shows_form_errors(
    admin_client: Client, book: BookInfo, params: dict[str, str]
) -> None:
    params = {key: value.format(book=book.id) for key, value in params.items()}
    page = admin_client.get(reverse("admin:ledger_trial_balance"), params)
    assert page.status_code == 200
    assert page.context["form"].errors
    assert page.context["report"] is None
    assert 'class="errorlist' in page.content.decode()


# --- account statement ------------------------------------------------------------------------


def test_statement_page(admin_client: Client, posted: dict[str, AccountInfo]) -> None:
    first = Entry.objects.get(idempotency_key="f1")
    second = Entry.objects.get(idempotency_key="e1")
    url = reverse("admin:ledger_account_statement", args=[posted["funding"].id])
    page = admin_client.get(
        url, {"date_from": DAY.isoformat(), "date_to": (DAY + dt.timedelta(days=5)).isoformat()}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert rows(html, "statement") == [
        ["Date", "Entry", "Kind", "Memo", "Debit", "Credit", "Balance"],
        ["Opening balance", "0.00"],
        ["2026-11-02", str(first.pk), "funding.received", "wire 42", "", "150.00", "150.00"],
        ["2026-11-03", str(second.pk), "earning.credited", "", "40.00", "", "110.00"],
        ["Totals", "40.00", "150.00", ""],
        ["Closing balance", "110.00"],
    ]
    assert f'href="{reverse("admin:ledger_entry_change", args=[first.pk])}"' in html

    later = admin_client.get(
        url,
        {
            "date_from": (DAY + dt.timedelta(days=1)).isoformat(),
            "date_to": (DAY + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert rows(later.content.decode(), "statement")[1:] == [
        ["Opening balance", "150.00"],
        ["2026-11-03", str(second.pk), "earning.credited", "", "40.00", "", "110.00"],
        ["Totals", "40.00", "0.00", ""],
        ["Closing balance", "110.00"],
    ]


def test_statement_defaults_to_the_last_30_days(
    admin_client: Client, posted: dict[str, AccountInfo]
) -> None:
    url = reverse("admin:ledger_account_statement", args=[posted["cash"].id])
    today = timezone.localdate()
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["form"].cleaned_data == {
        "date_from": today - dt.timedelta(days=30),
        "date_to": today,
    }
    only_start = admin_client.get(url, {"date_from": DAY.isoformat()})
    assert only_start.context["statement"].date_to == today


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-12-01", "date_to": "2026-11-01"}, "after the end date"),
        ({"date_from": "yesterday", "date_to": "2026-11-01"}, "Enter a valid date"),
        ({"date_from": "2026-11-01", "date_to": "2026-13-01"}, "Enter a valid date"),
        ({"date_from": "", "date_to": "2026-11-01"}, "This field is required"),
    ],
)
def test_statement_bad_input_shows_form_errors(
    admin_client: Client, posted: dict[str, AccountInfo], params: dict[str, str], message: str
) -> None:
    url = reverse("admin:ledger_account_statement", args=[posted["funding"].id])
    page = admin_client.get(url, params)
    assert page.status_code == 200
    assert page.context["statement"] is None
    assert message in page.content.decode()


def test_statement_of_an_unknown_account_is_not_found(admin_client: Client) -> None:
    for account_id in (987654, 99999999999999999999999):
        page = admin_client.get(f"/admin/ledger/account/{account_id}/statement/")
        assert page.status_code == 404


# --- who may see them -------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client: Client, posted: dict[str, AccountInfo]) -> None:
    for url in (
        reverse("admin:ledger_trial_balance"),
        reverse("admin:ledger_account_statement", args=[posted["cash"].id]),
        reverse("admin:ledger_entry_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert client.get(reverse("admin:ledger_trial_balance")).status_code == 302


def test_report_pages_need_view_permission(
    client: Client, book: BookInfo, posted: dict[str, AccountInfo]
) -> None:
    staff = get_user_model().objects.create_user(username="clerk", password="x", is_staff=True)
    client.force_login(staff)
    trial_balance = reverse("admin:ledger_trial_balance")
    statement = reverse("admin:ledger_account_statement", args=[posted["cash"].id])
    assert client.get(trial_balance, {"book": book.id}).status_code == 403
    assert client.get(statement).status_code == 403

    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="ledger", codename__in=["view_book", "view_account"]
        )
    )
    client.force_login(staff)  # fresh user object: the permission cache is per instance
    assert client.get(trial_balance, {"book": book.id}).status_code == 200
    assert client.get(statement).status_code == 200
