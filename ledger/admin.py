"""The ledger in the Django admin, for finance: read-only, with a trial balance and statements.

Nothing here writes: the ledger changes only through its services, and the database refuses
UPDATE and DELETE on entries and postings anyway.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from ledger import selectors
from ledger.models import Account, Book, Entry, Posting
from ledger.money import from_minor

STATEMENT_DEFAULT_DAYS = 30


def _money(amount_minor: int | None, currency: str) -> str:
    # Plain digits, as on the report pages and in the exports, so figures compare at a glance.
    return "" if amount_minor is None else str(from_minor(amount_minor, currency))


def _require_view(request: HttpRequest, *model_admins: admin.ModelAdmin) -> None:
    """The report pages show balances: staff need view permission on what they summarise."""
    if not all(model_admin.has_view_permission(request) for model_admin in model_admins):
        raise PermissionDenied


# --- forms for the two report pages ---------------------------------------------------------


class TrialBalanceForm(forms.Form):
    book = forms.ModelChoiceField(queryset=Book.objects.order_by("code"))
    currency = forms.RegexField(
        regex=r"^[A-Z]{3}$", required=False, help_text="ISO 4217, e.g. USD; empty for all"
    )
    as_of = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class StatementForm(forms.Form):
    date_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError("The start date is after the end date.")
        return cleaned


# --- books ------------------------------------------------------------------------------------


@admin.register(Book)
class BookAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "closed_through", "created_at", "trial_balance_link")
    search_fields = ("code", "name")
    change_form_template = "admin/ledger/book_change_form.html"
    change_list_template = "admin/ledger/book_change_list.html"

    @admin.display(description="Trial balance")
    def trial_balance_link(self, book: Book) -> str:
        url = reverse("admin:ledger_trial_balance")
        return format_html('<a href="{}?book={}">trial balance</a>', url, book.pk)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "trial-balance/",
                self.admin_site.admin_view(self.trial_balance_view),
                name="ledger_trial_balance",
            )
        ]
        return extra + super().get_urls()

    def trial_balance_view(self, request: HttpRequest) -> HttpResponse:
        _require_view(request, self, self.admin_site.get_model_admin(Account))
        today = timezone.localdate().isoformat()
        # Unbound until a book is chosen, so the first visit shows no "required" errors.
        form = TrialBalanceForm(
            {"as_of": today, **request.GET.dict()} if "book" in request.GET else None,
            initial={"as_of": today},
        )
        report = None
        if form.is_valid():
            report = selectors.trial_balance(
                book_id=form.cleaned_data["book"].pk,
                as_of=form.cleaned_data["as_of"],
                currency=form.cleaned_data["currency"] or None,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Trial balance",
            "form": form,
            "report": report,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/ledger/trial_balance.html", context)


# --- accounts ---------------------------------------------------------------------------------


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "book",
        "currency",
        "type",
        "balance",
        "floor",
        "version",
        "shard_count",
        "statement_link",
    )
    list_filter = ("book", "currency", "type")
    list_select_related = ("book",)
    search_fields = ("code",)
    fields = (
        "book",
        "code",
        "name",
        "currency",
        "type",
        "balance",
        "floor",
        "version",
        "parent",
        "shard_count",
        "last_posted_at",
        "created_at",
        "metadata",
    )
    readonly_fields = ("balance", "floor")
    change_form_template = "admin/ledger/account_change_form.html"

    # The row's own balance: a sharded parent's shards are accounts of their own, listed too.
    @admin.display(description="Balance", ordering="balance_minor")
    def balance(self, account: Account) -> str:
        return _money(account.balance_minor, account.currency)

    @admin.display(description="Floor")
    def floor(self, account: Account) -> str:
        return _money(account.floor_minor, account.currency)

    @admin.display(description="Statement")
    def statement_link(self, account: Account) -> str:
        url = reverse("admin:ledger_account_statement", args=[account.pk])
        return format_html('<a href="{}">statement</a>', url)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:account_id>/statement/",
                self.admin_site.admin_view(self.statement_view),
                name="ledger_account_statement",
            )
        ]
        return extra + super().get_urls()

    def statement_view(self, request: HttpRequest, account_id: int) -> HttpResponse:
        _require_view(request, self)
        today = timezone.localdate()
        data = {
            "date_from": (today - dt.timedelta(days=STATEMENT_DEFAULT_DAYS)).isoformat(),
            "date_to": today.isoformat(),
        }
        data.update((key, request.GET[key]) for key in data if key in request.GET)
        form = StatementForm(data)
        statement = None
        if form.is_valid():
            statement = selectors.account_statement(
                account_id=account_id,
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            )
        account = statement.account if statement else selectors.account_get(account_id=account_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Statement of {account.code} ({account.currency})"
            if account
            else "Statement: no such account",
            "account": account,
            "form": form,
            "statement": statement,
            "opts": self.model._meta,
        }
        status = 200 if account is not None else 404
        return TemplateResponse(
            request, "admin/ledger/account_statement.html", context, status=status
        )


# --- entries ----------------------------------------------------------------------------------


class PostingInline(ReadOnlyInline):
    model = Posting
    template = "admin/ledger/posting_inline.html"
    fields = ("account", "side", "amount", "balance_after", "version_after", "recorded_at")
    ordering = ("id",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Posting]:
        return super().get_queryset(request).select_related("account")

    @admin.display(description="Side")
    def side(self, posting: Posting) -> str:
        return posting.get_direction_display()

    @admin.display(description="Amount")
    def amount(self, posting: Posting) -> str:
        return f"{_money(posting.amount_minor, posting.currency)} {posting.currency}"

    @admin.display(description="Balance after")
    def balance_after(self, posting: Posting) -> str:
        return _money(posting.balance_after_minor, posting.currency)


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "book",
        "kind",
        "effective_date",
        "recorded_at",
        "idempotency_key",
        "reverses",
    )
    # No filter on kind: listing its distinct values scans the whole journal.
    list_filter = ("book", "effective_date")
    ordering = ("-id",)  # newest first
    list_select_related = ("book", "reverses")
    search_fields = ("=id", "idempotency_key", "kind", "memo")
    # No date hierarchy either: with no index on the entry's date it scans the journal twice per
    # page; the effective-date filter narrows by date without that.
    inlines = (PostingInline,)
    show_full_result_count = False  # a full count of a large journal is slow
