"""Payouts in the Django admin, for finance and support.

Money never moves by editing a row here: payouts, fundings, earnings, attempts and events are
read-only, and the actions (approve, cancel, clear or reject a review, approve a batch) call
the same services as the API, with the staff user as the actor.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError
from ledger.money import from_minor
from payouts import exceptions_admin  # noqa: F401 - registers the exception queue
from payouts.batches.models import PayoutBatch, PayoutBatchItem
from payouts.execution.models import ProviderEvent
from payouts.funds.models import Earning, Funding
from payouts.lifecycle import services as payout_services
from payouts.lifecycle.models import Payout, PayoutAttempt, PayoutTransition
from payouts.outbox.models import OutboxMessage
from payouts.payees.models import Payee, PayoutMethod, PayoutMethodChange, PayoutSchedule
from payouts.platforms.forms import FeeRuleForm, ThresholdForm
from payouts.platforms.models import ApiKey, FeeRule, Platform, Threshold


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def _money(minor: int | None, currency: str) -> str:
    return "" if minor is None else f"{from_minor(minor, currency)} {currency}"


class FeeRuleInline(admin.TabularInline):
    model = FeeRule
    form = FeeRuleForm
    extra = 0


class ThresholdInline(admin.TabularInline):
    """Payouts at or above an approval threshold wait for a second person; at or above a review
    threshold they go to finance first. A currency without a row needs neither."""

    model = Threshold
    form = ThresholdForm
    extra = 0


class ApiKeyInline(ReadOnlyInline):
    """Keys are issued with manage.py create_api_key, which shows each one once."""

    model = ApiKey
    fields = ("prefix", "name", "scopes", "created", "last_used_at", "revoked_at")


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "currencies", "fee_bearer", "default_schedule", "created")
    search_fields = ("name", "code")
    readonly_fields = ("code", "book_id", "currencies", "created")
    inlines = [ThresholdInline, FeeRuleInline, ApiKeyInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # manage.py create_platform opens the book and accounts too

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MethodInline(ReadOnlyInline):
    model = PayoutMethod
    fields = ("type", "currency", "country", "holder_name", "masked", "public", "status", "created")

    @admin.display(description="number")
    def masked(self, obj: PayoutMethod) -> str:
        return f"••••{obj.last4}"


@admin.register(Payee)
class PayeeAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "legal_name",
        "type",
        "country",
        "status",
        "kyc_tier",
        "platform",
    )
    list_filter = ("status", "type", "platform")
    search_fields = ("external_id", "legal_name", "email")
    readonly_fields = ("platform", "external_id", "created", "updated")
    inlines = [MethodInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TransitionInline(ReadOnlyInline):
    model = PayoutTransition
    fields = ("at", "from_status", "to_status", "actor", "reason", "entry_link")

    @admin.display(description="ledger entry")
    def entry_link(self, obj: PayoutTransition) -> str:
        if obj.entry_id is None:
            return ""
        return format_html(
            '<a href="/admin/ledger/entry/{}/change/">{}</a>', obj.entry_id, obj.entry_id
        )


class AttemptInline(ReadOnlyInline):
    model = PayoutAttempt
    fields = (
        "number",
        "rail",
        "status",
        "idempotency_key",
        "provider_reference",
        "submit_calls",
        "raw_code",
        "last_error",
        "created",
    )


def _each(request: HttpRequest, queryset: QuerySet[Payout], label: str, run: Any) -> None:
    done, failed = 0, []
    for payout in queryset.order_by("id"):
        try:
            run(payout)
            done += 1
        except DomainError as exc:
            failed.append(f"payout {payout.id}: {exc.message}")
    if done:
        messages.success(request, f"{label}: {done} payout(s)")
    for failure in failed:
        messages.error(request, failure)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "status",
        "amount",
        "fee",
        "payee",
        "rail",
        "created",
        "updated",
        "platform",
    )
    list_filter = ("status", "rail", "currency", "platform")
    search_fields = ("=id", "payee__external_id", "payee__legal_name")
    date_hierarchy = "created"
    list_select_related = ("payee", "platform")
    inlines = [TransitionInline, AttemptInline]
    actions = ["approve", "cancel", "clear_review", "reject"]
    readonly_fields = ("status", "is_final", "amount", "fee", "net")

    @admin.display(ordering="amount_minor")
    def amount(self, obj: Payout) -> str:
        return _money(obj.amount_minor, obj.currency)

    @admin.display(ordering="fee_minor")
    def fee(self, obj: Payout) -> str:
        return _money(obj.fee_minor, obj.currency)

    @admin.display()
    def net(self, obj: Payout) -> str:
        return _money(obj.net_minor, obj.currency)

    @admin.display(boolean=True)
    def is_final(self, obj: Payout) -> bool:
        return obj.is_final

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("payouts.change_payout") if obj is None else False

    @admin.action(description="Approve (maker-checker: not your own)", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        _each(
            request,
            queryset,
            "approved",
            lambda p: payout_services.payout_approve(
                platform=None, payout_id=p.id, actor=_actor(request)
            ),
        )

    @admin.action(description="Cancel (releases the hold)", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        _each(
            request,
            queryset,
            "canceled",
            lambda p: payout_services.payout_cancel(
                platform=None, payout_id=p.id, actor=_actor(request), reason="canceled in the admin"
            ),
        )

    @admin.action(description="Clear review", permissions=["change"])
    def clear_review(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        _each(
            request,
            queryset,
            "cleared",
            lambda p: payout_services.payout_review_clear(payout_id=p.id, actor=_actor(request)),
        )

    @admin.action(description="Reject (releases the hold)", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        _each(
            request,
            queryset,
            "rejected",
            lambda p: payout_services.payout_reject(
                payout_id=p.id, actor=_actor(request), reason="rejected in the admin"
            ),
        )


@admin.register(Funding)
class FundingAdmin(ReadOnlyAdmin):
    list_display = ("reference", "amount", "status", "platform", "created", "entry_id")
    list_filter = ("status", "platform")

    @admin.display(ordering="amount_minor")
    def amount(self, obj: Funding) -> str:
        return _money(obj.amount_minor, obj.currency)


@admin.register(Earning)
class EarningAdmin(ReadOnlyAdmin):
    list_display = ("id", "payee", "amount", "description", "created", "entry_id")
    list_filter = ("platform",)
    list_select_related = ("payee",)

    @admin.display(ordering="amount_minor")
    def amount(self, obj: Earning) -> str:
        return _money(obj.amount_minor, obj.currency)


class BatchItemInline(ReadOnlyInline):
    model = PayoutBatchItem
    fields = (
        "line",
        "status",
        "payee_id",
        "amount_minor",
        "fee_minor",
        "currency",
        "payout",
        "error_code",
        "error_message",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayoutBatchItem]:
        return super().get_queryset(request).order_by("line")


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "status",
        "item_count",
        "invalid_count",
        "requires_approval",
        "created_by",
        "approved_by",
        "created",
    )
    list_filter = ("status", "platform")
    inlines = [BatchItemInline]


@admin.register(PayoutSchedule)
class PayoutScheduleAdmin(ReadOnlyAdmin):
    list_display = (
        "payee",
        "currency",
        "frequency",
        "minimum_minor",
        "is_active",
        "next_run_at",
        "last_run_at",
    )


@admin.register(PayoutMethodChange)
class PayoutMethodChangeAdmin(ReadOnlyAdmin):
    list_display = ("at", "method", "action", "actor", "reason")


@admin.register(OutboxMessage)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "object_id",
        "available_at",
        "locked_until",
        "attempts",
        "processed_at",
        "last_error",
    )
    list_filter = ("kind",)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = (
        "rail",
        "sequence",
        "event_id",
        "status",
        "provider_reference",
        "source",
        "received_at",
        "processed_at",
        "outcome",
    )
    list_filter = ("rail", "status", "source")
