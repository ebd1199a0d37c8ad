"""The operations exception queue in the admin: open ones first, each resolved with a note
(and, for a stuck attempt, the outcome the provider confirmed)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest

from core.errors import DomainError
from payouts.exceptions.models import ExceptionStatus, OperationsException
from payouts.exceptions.services import exception_resolve
from payouts.execution import operator


class ResolveForm(forms.ModelForm):
    """Only the resolution is typed here; everything else is the record of what happened. For
    an exception about an open attempt, the outcome the provider confirmed can be recorded with
    it: the payout moves, with its ledger entry, through the same service a provider event
    uses."""

    outcome = forms.ChoiceField(
        choices=[
            ("", "Leave the payout as it is"),
            (operator.PAID, "The provider paid it: settle the payout"),
            (operator.NOT_EXECUTED, "The provider never executed it: fail the payout"),
        ],
        required=False,
        help_text="Only for an exception about an attempt that is still open.",
    )
    resolution = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="How it was resolved (required to resolve): what was checked, what was done.",
    )

    class Meta:
        model = OperationsException
        fields = ("outcome", "resolution")


class OpenFirst(admin.SimpleListFilter):
    """The queue opens on the open exceptions; resolved ones and all are a click away."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("resolved", "Resolved"), ("all", "All")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = self.value() or ExceptionStatus.OPEN
        return queryset if value == "all" else queryset.filter(status=value)

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Open",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(OperationsException)
class OperationsExceptionAdmin(admin.ModelAdmin):
    form = ResolveForm
    list_display = ("id", "created", "kind", "status", "payout", "detail", "resolved_by")
    list_filter = (OpenFirst, "kind")
    search_fields = ("detail", "key", "payout__id")
    readonly_fields = (
        "kind",
        "status",
        "platform",
        "payout",
        "attempt",
        "provider_event",
        "detail",
        "data",
        "entry_id",
        "key",
        "created",
        "resolved_at",
        "resolved_by",
    )
    fields = (*readonly_fields, "outcome", "resolution")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the platform opens exceptions; people resolve them

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        can_resolve = request.user.has_perm("payouts.resolve_operationsexception")
        return can_resolve and (obj is None or obj.status == ExceptionStatus.OPEN)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.status != ExceptionStatus.OPEN:
            return (*self.readonly_fields, "resolution")
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or obj.attempt_id is None or obj.status != ExceptionStatus.OPEN:
            return (*self.readonly_fields, "resolution")
        return self.fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        note = form.cleaned_data.get("resolution", "")
        if not note.strip():
            messages.warning(request, "Nothing changed: write how it was resolved to resolve it.")
            return
        actor = f"user:{request.user.get_username()}"
        outcome = form.cleaned_data.get("outcome", "")
        try:
            with transaction.atomic():
                if outcome:
                    operator.attempt_outcome_record(
                        attempt_id=obj.attempt_id, outcome=outcome, actor=actor, note=note
                    )
                exception_resolve(exception_id=obj.pk, actor=actor, resolution=note)
        except DomainError as exc:
            messages.error(request, f"Nothing changed: {exc.message}")
