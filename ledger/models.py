"""The books: Book, Account, Entry and Posting.

The models hold fields and constraints only. The invariants of docs/architecture.md live in the
database (migration ``0002_invariants``): nothing here is the only guard. Balances are kept in
integer minor units of the account's currency; ``ledger.money`` converts at the edges.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from ledger.types import Direction


class ClockTimestamp(models.Func):
    """``clock_timestamp()``: the time a posting row is written, after its account is locked."""

    template = "clock_timestamp()"
    output_field = models.DateTimeField()


class AccountType(models.TextChoices):
    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    EQUITY = "equity", "Equity"
    REVENUE = "revenue", "Revenue"
    EXPENSE = "expense", "Expense"


class Book(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    closed_through = models.DateField(
        null=True,
        blank=True,
        help_text="Last closed effective date; nothing posts on or before it.",
    )
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code


class Account(models.Model):
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    name = models.CharField(max_length=200, blank=True, default="")
    type = models.CharField(max_length=10, choices=AccountType.choices)
    floor_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Lowest allowed balance in minor units; empty: no floor."
    )
    metadata = models.JSONField(
        default=dict, blank=True, db_default=models.Value({}, models.JSONField())
    )
    balance_minor = models.BigIntegerField(default=0, db_default=0)
    version = models.BigIntegerField(default=0, db_default=0)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    # A hot account (fees, in transit) can be split into shards: real accounts of their own,
    # ``<code>#<n>``, among which postings to the parent are spread so concurrent writers do not
    # queue on one row. The parent's balance is its own plus its shards'.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="shards"
    )
    shard_count = models.PositiveSmallIntegerField(default=1, db_default=1)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shard_count__gte=1, shard_count__lte=64),
                name="ledger_account_shard_count",
            ),
            models.CheckConstraint(
                condition=models.Q(floor_minor__isnull=True)
                | (models.Q(shard_count=1) & models.Q(parent__isnull=True)),
                name="ledger_account_sharded_has_no_floor",
            ),
            models.UniqueConstraint(
                fields=["book", "code", "currency"], name="ledger_account_code_unique"
            ),
            # Target of the postings' composite key: a posting's book and currency are its
            # account's.
            models.UniqueConstraint(
                fields=["id", "book", "currency"], name="ledger_account_id_book_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(type__in=AccountType.values), name="ledger_account_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="ledger_account_currency_iso",
            ),
            models.CheckConstraint(
                condition=models.Q(floor_minor__isnull=True)
                | models.Q(balance_minor__gte=models.F("floor_minor")),
                name="ledger_account_balance_above_floor",
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=0), name="ledger_account_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.currency})"


class Entry(models.Model):
    # Keys checked by the ledger_entries_check trigger, once per statement (0002_invariants).
    book = models.ForeignKey(
        Book, on_delete=models.PROTECT, related_name="entries", db_constraint=False, db_index=False
    )
    kind = models.CharField(max_length=64)
    memo = models.TextField(blank=True, default="")
    effective_date = models.DateField()
    recorded_at = models.DateTimeField(db_default=ClockTimestamp())
    idempotency_key = models.CharField(max_length=255)
    metadata = models.JSONField(default=dict, blank=True)
    refs = models.JSONField(
        default=dict, blank=True, help_text="References to business objects (payout, batch, ...)."
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        db_constraint=False,
    )
    line_count = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(
                fields=["book", "idempotency_key"], name="ledger_entry_idempotency_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(line_count__gte=2), name="ledger_entry_two_lines_or_more"
            ),
            models.CheckConstraint(
                condition=~models.Q(idempotency_key=""), name="ledger_entry_key_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Posting(models.Model):
    # Keys checked by the ledger_postings_apply trigger, once per statement (0002_invariants).
    entry = models.ForeignKey(
        Entry, on_delete=models.PROTECT, related_name="postings", db_constraint=False
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="postings",
        db_constraint=False,
        db_index=False,
    )
    book = models.ForeignKey(
        Book, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    currency = models.CharField(max_length=3)
    effective_date = models.DateField()
    direction = models.CharField(max_length=1, choices=Direction.choices)
    amount_minor = models.BigIntegerField()
    balance_after_minor = models.BigIntegerField()
    version_after = models.BigIntegerField()
    recorded_at = models.DateTimeField(db_default=ClockTimestamp())

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "version_after"], name="ledger_posting_account_version"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="ledger_posting_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(direction__in=Direction.values), name="ledger_posting_direction"
            ),
            models.CheckConstraint(
                condition=models.Q(version_after__gt=0), name="ledger_posting_version_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "recorded_at"], name="ledger_posting_acct_recorded"),
            models.Index(fields=["account", "effective_date"], name="ledger_posting_acct_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.amount_minor} {self.currency}"
