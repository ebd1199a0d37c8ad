"""The platform's journal entries with their postings: filters and the rendered entry."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.serializers.common import AmountOut, page_of
from api.serializers.ledger_accounts import SideField, amount
from payouts.common.representation import when
from payouts.funds.selectors import BookEntry, BookPosting


class EntryFilters(serializers.Serializer):
    kind = serializers.CharField(max_length=64, required=False, help_text="e.g. payout.hold")
    created_gte = serializers.DateTimeField(required=False, help_text="Recorded at or after")
    created_lte = serializers.DateTimeField(required=False, help_text="Recorded at or before")


class PostingOut(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.IntegerField()
    account_code = serializers.CharField()
    side = SideField()
    amount = AmountOut()
    currency = serializers.CharField()
    balance_after = AmountOut(
        allow_null=True,
        help_text="The account's balance after this posting; null on a hot account, whose "
        "postings are spread over shards with running balances of their own",
    )


class EntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    object = serializers.CharField(default="ledger_entry")
    kind = serializers.CharField()
    memo = serializers.CharField(allow_blank=True)
    effective_date = serializers.DateField()
    created = serializers.DateTimeField(help_text="When it was recorded")
    reverses = serializers.IntegerField(allow_null=True, help_text="The entry it corrects")
    refs = serializers.DictField(help_text="The business objects it records (payout, batch...)")
    metadata = serializers.DictField()
    postings = PostingOut(many=True)


EntryPage = page_of(EntryOut, "LedgerEntryPage")


def posting_data(item: BookPosting) -> dict[str, Any]:
    posting, label = item.posting, item.account
    return {
        "id": posting.id,
        "account": label.id,
        "account_code": label.code,
        "side": posting.direction.word,
        "amount": amount(posting.amount, posting.currency),
        "currency": posting.currency,
        "balance_after": None
        if label.is_shard
        else amount(posting.balance_after, posting.currency),
    }


def entry_data(item: BookEntry) -> dict[str, Any]:
    entry = item.entry
    return {
        "id": entry.id,
        "object": "ledger_entry",
        "kind": entry.kind,
        "memo": entry.memo,
        "effective_date": entry.effective_date.isoformat(),
        "created": when(entry.recorded_at),
        "reverses": entry.reverses_id,
        "refs": entry.refs,
        "metadata": entry.metadata,
        "postings": [posting_data(p) for p in item.postings],
    }
