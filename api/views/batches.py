"""``/v1/payout-batches``: create (JSON, or a CSV upload), list, retrieve, per-item results,
quote, maker-checker approval and cancel."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.body_limit import MAX_BODY_BYTES, TooLarge
from api.idempotency import header_parameter, idempotent
from api.pagination import Cursor
from api.parsers import CsvParser, JSONParser
from api.problems import PROBLEM_TYPE
from api.serializers.batch_items import (
    BatchItemFilters,
    BatchItemPage,
    batch_item_data,
)
from api.serializers.batch_quotes import BatchQuoteOut, batch_quote_data
from api.serializers.batches import (
    BatchCreate,
    BatchCreatedOut,
    BatchFilters,
    BatchOut,
    BatchPage,
    BatchUpload,
)
from api.serializers.common import Problem
from payouts.batches.models import PayoutBatch
from payouts.batches.representation import batch_data
from payouts.batches.selectors import batch_get, batch_item_rows, batch_list
from payouts.batches.services import (
    batch_approve,
    batch_cancel,
    batch_create,
    batch_create_from_csv,
)

TAGS = ["Payout batches"]
MAX_ITEMS = 10_000
NUL = "\x00"
TOO_LARGE = TooLarge(
    "batch_too_large",
    f"a batch has at most {MAX_ITEMS:,} items and its request at most "
    f"{MAX_BODY_BYTES // (1024 * 1024)} MB",
)


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = TOO_LARGE.detail
    default_code = TOO_LARGE.code


def _created(batch: PayoutBatch) -> Response:
    items = batch_item_rows(platform_id=batch.platform_id, batch_id=batch.id)
    body = {**batch_data(batch), "items": [batch_item_data(row) for row in items]}
    return Response(body, status=201, headers={"Location": f"/v1/payout-batches/{batch.id}"})


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _csv_text(raw: bytes | str, field: str) -> str:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise exceptions.ValidationError(
                {field: ["the CSV is not UTF-8 text"]}, code="invalid_encoding"
            ) from None
    if NUL in raw:
        raise exceptions.ValidationError(
            {field: ["the CSV may not contain NUL characters"]}, code="null_characters_not_allowed"
        )
    # Each row is at least one line: only a file with more lines needs counting.
    if raw.count("\n") > MAX_ITEMS:
        try:
            rows = sum(1 for row in csv.reader(io.StringIO(raw)) if any(c.strip() for c in row))
        except csv.Error:
            rows = 0  # the batch service reports the unreadable rows, line by line
        if rows - 1 > MAX_ITEMS:
            raise PayloadTooLarge()
    return raw


class BatchesView(PlatformView):
    scope = "payouts"
    parser_classes = [JSONParser, MultiPartParser, CsvParser]
    # A body over MAX_BODY_BYTES is refused before it is read (api.body_limit), as a batch.
    body_too_large = TOO_LARGE

    def handle_exception(self, exc: Exception) -> Response:
        # Django refuses bodies past DATA_UPLOAD_MAX_MEMORY_SIZE and multipart requests with too
        # many parts; those are the client's, never a 500.
        if isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge(
                "the request body is larger than this server reads at once; upload a large CSV "
                "as multipart/form-data"
            )
        elif isinstance(exc, SuspiciousOperation):
            exc = exceptions.ParseError(str(exc) or "the request body cannot be read")
        return super().handle_exception(exc)

    @extend_schema(
        tags=TAGS,
        operation_id="payout_batches_create",
        summary="Create a payout batch (JSON, or a CSV upload)",
        description="Every item is checked on its own, as a single payout would be: a bad item "
        "becomes an invalid result with its error code and message, and never fails the "
        "request. The valid items are quoted per currency. When a currency's total reaches the "
        "platform's approval threshold the batch waits for another key's approval "
        "(`awaiting_approval`); otherwise a worker creates and schedules its payouts right "
        "after (see `/items`, or wait for the `batch.completed` event). Send "
        "JSON, a multipart form with a `file` (and optional `description`), or a raw "
        f"`text/csv` body. At most {MAX_ITEMS:,} items and "
        f"{MAX_BODY_BYTES // (1024 * 1024)} MB (413 `batch_too_large`).",
        request={
            "application/json": BatchCreate,
            "multipart/form-data": BatchUpload,
            "text/csv": OpenApiTypes.STR,
        },
        parameters=[header_parameter(required=True)],
        responses={
            201: BatchCreatedOut,
            (413, PROBLEM_TYPE): Problem,
        },
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        media = request.content_type.split(";")[0].strip().lower()
        if media == "multipart/form-data":
            upload = self.parse(BatchUpload, request.data)
            text = _csv_text(upload["file"].read(), "file")
            batch = batch_create_from_csv(
                platform=self.platform,
                csv_text=text,
                actor=self.caller.actor,
                description=upload["description"],
                execute_now=False,
            )
        elif media == CsvParser.media_type:
            data = request.data
            text = _csv_text(data if isinstance(data, str) else "", "csv")
            batch = batch_create_from_csv(
                platform=self.platform, csv_text=text, actor=self.caller.actor, execute_now=False
            )
        else:
            body = self.parse(BatchCreate, request.data)
            items = body["items"]
            if len(items) > MAX_ITEMS:
                raise PayloadTooLarge()
            for index, item in enumerate(items):
                if _has_nul(item):
                    raise exceptions.ValidationError(
                        {f"items[{index}]": ["text may not contain NUL characters"]},
                        code="null_characters_not_allowed",
                    )
            batch = batch_create(
                platform=self.platform,
                items=items,
                actor=self.caller.actor,
                description=body["description"],
                execute_now=False,
            )
        return _created(batch)

    @extend_schema(
        tags=TAGS,
        operation_id="payout_batches_list",
        summary="List payout batches, newest first",
        parameters=[BatchFilters, *keyset.parameters()],
        responses={200: BatchPage},
    )
    def get(self, request: Request) -> Response:
        """The platform's payout batches, a page at a time, narrowed by `status` and when they were
        created (`created_gte`, `created_lte`). A filter, `cursor` or `limit` that is not valid is a
        400 naming it."""
        filters = self.query(BatchFilters)
        return self.page(batch_list(platform_id=self.platform.id, **filters), batch_data)


class BatchView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payout_batches_retrieve",
        summary="Retrieve a payout batch",
        responses={200: BatchOut},
    )
    def get(self, request: Request, batch_id: int) -> Response:
        """A batch with its status, item counts, totals per currency and who created and approved
        it. Another platform's batch is a 404 `batch_not_found`, as a missing one is."""
        return Response(batch_data(batch_get(platform=self.platform, batch_id=batch_id)))


class LineCursor(Cursor):
    ordering = "line"


class BatchItemsView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payout_batches_items",
        summary="A batch's per-item results, in line order",
        parameters=[BatchItemFilters, *keyset.parameters()],
        responses={200: BatchItemPage},
    )
    def get(self, request: Request, batch_id: int) -> Response:
        """Each item as submitted and what became of it: the payout it created and that payout's
        status, or the error that made it invalid or fail. Narrow by `status`; a page at a time. An
        unknown batch is a 404 `batch_not_found`; a filter, `cursor` or `limit` that is not valid is
        a 400."""
        batch = batch_get(platform=self.platform, batch_id=batch_id)
        filters = self.query(BatchItemFilters)
        items = batch_item_rows(platform_id=self.platform.id, batch_id=batch.id, **filters)
        paginator = LineCursor()
        rows = paginator.paginate_queryset(items, request, view=self) or []
        return paginator.get_paginated_response([batch_item_data(row) for row in rows])


class BatchQuoteView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payout_batches_quote",
        summary="A batch's totals, fees and counts per currency",
        responses={200: BatchQuoteOut},
    )
    def get(self, request: Request, batch_id: int) -> Response:
        """Per currency, the valid items' count, amount, fees and net amount, with the counts of
        valid and invalid items and whether the batch needs another key's approval. An unknown batch
        is a 404 `batch_not_found`."""
        return Response(batch_quote_data(batch_get(platform=self.platform, batch_id=batch_id)))


class BatchApproveView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payout_batches_approve",
        summary="Approve a batch awaiting approval (maker-checker)",
        description="The approver must be another API key than the one that created the batch "
        "(`approver_is_creator`). A worker then creates and schedules the batch's payouts; an item "
        "whose payee's balance no longer covers it fails on its own (`insufficient_funds`).",
        request=None,
        parameters=[header_parameter(required=False)],
        responses={200: BatchOut},
    )
    @idempotent(required=False)
    def post(self, request: Request, batch_id: int) -> Response:
        batch = batch_approve(
            platform=self.platform, batch_id=batch_id, actor=self.caller.actor, execute_now=False
        )
        return Response(batch_data(batch))


class BatchCancelView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payout_batches_cancel",
        summary="Cancel a batch awaiting approval",
        description="No payout is ever created for it. Once approved, a batch's payouts are "
        "canceled one by one (`/v1/payouts/{id}/cancel`).",
        request=None,
        parameters=[header_parameter(required=False)],
        responses={200: BatchOut},
    )
    @idempotent(required=False)
    def post(self, request: Request, batch_id: int) -> Response:
        batch = batch_cancel(platform=self.platform, batch_id=batch_id, actor=self.caller.actor)
        return Response(batch_data(batch))
