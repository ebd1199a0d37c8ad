"""Creating payouts and the moves people make on them: cancel, approve, review, reject."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.db.lookup import one_of
from core.errors import InvalidInput
from payouts.common.errors import (
    ApproverIsCreator,
    InvalidTransition,
    PayoutNotCancelable,
    PayoutNotFound,
)
from payouts.lifecycle import events, postings
from payouts.lifecycle.models import Payout
from payouts.lifecycle.quotes import Quote, payout_quote
from payouts.lifecycle.rules import PRE_PROCESSING, PayoutStatus
from payouts.lifecycle.transitions import Change, transition_created, transitions_apply
from payouts.outbox import services as outbox
from payouts.platforms.models import Platform, Speed
from payouts.platforms.selectors import thresholds_get

S = PayoutStatus


def payout_from_quote(
    quote: Quote,
    *,
    platform_id: int,
    status: PayoutStatus,
    description: str,
    created_by: str,
    batch_id: int | None = None,
    scheduled_for: dt.datetime | None = None,
    approved_by: str = "",
) -> Payout:
    """An unsaved payout carrying a quote's amounts, rail and arrival."""
    return Payout(
        platform_id=platform_id,
        payee=quote.payee,  # the quote loaded both: rendering the payout needs no query
        method=quote.method,
        batch_id=batch_id,
        amount_minor=quote.amount_minor,
        fee_minor=quote.fee_minor,
        net_minor=quote.net_minor,
        currency=quote.currency,
        fee_bearer=quote.fee_bearer,
        speed=quote.speed,
        rail=quote.rail,
        estimated_arrival=quote.estimated_arrival,
        status=status,
        scheduled_for=scheduled_for,
        description=description[:500],
        created_by=created_by[:200],
        approved_by=approved_by[:200],
    )


def payout_create(
    *,
    platform: Platform,
    payee_id: object,
    method_id: object,
    amount: object,
    currency: object,
    actor: str,
    speed: object = Speed.STANDARD,
    description: str = "",
    scheduled_for: dt.datetime | None = None,
) -> Payout:
    """Create a payout and place its hold (available -> held) in one transaction.

    It then moves on at once: to ``awaiting_approval`` at or above the platform's approval
    threshold, otherwise to ``scheduled`` (due now or at ``scheduled_for``), and a worker takes
    it from there. Raises ``InsufficientFunds`` when the payee's available balance cannot
    cover it, plus the errors of ``payout_quote``; on any error nothing is created."""
    if not isinstance(description, str) or len(description) > 500:
        raise InvalidInput("description is at most 500 characters", field="description")
    quote = payout_quote(
        platform=platform,
        payee_id=payee_id,
        method_id=method_id,
        amount=amount,
        currency=currency,
        speed=speed,
    )
    with transaction.atomic():
        payout = payout_from_quote(
            quote,
            platform_id=platform.id,
            status=S.PENDING,
            description=description,
            created_by=actor,
        )
        payout.save()
        transition_created(
            payout=payout, actor=actor, entry=postings.hold(payout, platform.book_id)
        )
        _advance(payout, platform, actor, scheduled_for)
        # After the first move, so the event shows where the payout went, as a batch's do.
        events.payout_events_emit(items=[(payout, "payout.created")])
    return payout


def _advance(payout: Payout, platform: Platform, actor: str, when: dt.datetime | None) -> None:
    """pending -> in_review, awaiting_approval or scheduled (compliance adds its own reasons for
    review here)."""
    thresholds = thresholds_get(platform_id=platform.id)
    if thresholds.requires_review(payout.currency, payout.amount_minor):
        transitions_apply(
            changes=[Change(payout, S.IN_REVIEW, reason="at or above the review threshold")],
            actor=actor,
        )
    elif thresholds.requires_approval(payout.currency, payout.amount_minor):
        transitions_apply(
            changes=[Change(payout, S.AWAITING_APPROVAL, reason="above the approval threshold")],
            actor=actor,
        )
    else:
        schedule(payout, actor, when)


def schedule(payout: Payout, actor: str, when: dt.datetime | None = None, reason: str = "") -> None:
    """Move a locked payout to ``scheduled``, due at ``when`` (now by default), and make sure a
    worker hears of it after commit."""
    payout.scheduled_for = when or timezone.now()
    transitions_apply(changes=[Change(payout, S.SCHEDULED, reason=reason)], actor=actor)
    # Written for the time it is due: the sweeper does not take a future payout's row early.
    outbox.write(outbox.EXECUTE, [payout.id], due=payout.scheduled_for)
    if payout.scheduled_for <= timezone.now():
        outbox.kick_execution()


def _locked(platform: Platform | None, payout_id: object) -> Payout:
    query = Payout.objects.select_for_update(of=("self",)).select_related("platform")
    if platform is not None:
        query = query.filter(platform=platform)
    return one_of(query, payout_id, error=PayoutNotFound, what="payout", field="payout")


def payout_cancel(
    *, platform: Platform | None, payout_id: object, actor: str, reason: str = ""
) -> Payout:
    """Cancel a payout that has not been submitted yet, releasing its hold (held ->
    available). Raises ``PayoutNotCancelable`` once it is processing or final, and
    ``PayoutNotFound`` (also for another platform's payout)."""
    with transaction.atomic():
        payout = _locked(platform, payout_id)
        if payout.status not in PRE_PROCESSING:
            raise PayoutNotCancelable(
                f"payout {payout.id} is {payout.status}; only a payout not yet submitted can be "
                "canceled",
                status=payout.status,
            )
        transitions_apply(
            changes=[
                Change(
                    payout,
                    S.CANCELED,
                    entry=postings.release(payout, payout.platform.book_id, "canceled"),
                    reason=reason or "canceled",
                )
            ],
            actor=actor,
        )
    return payout


def payout_approve(*, platform: Platform | None, payout_id: object, actor: str) -> Payout:
    """The second person's approval (maker-checker): awaiting_approval -> scheduled. Raises
    ``ApproverIsCreator`` when the approver created it, ``InvalidTransition`` otherwise."""
    with transaction.atomic():
        payout = _locked(platform, payout_id)
        if payout.status != S.AWAITING_APPROVAL:
            raise InvalidTransition(f"payout {payout.id} is {payout.status}, not awaiting approval")
        if actor == payout.created_by:
            raise ApproverIsCreator("the approver must be someone other than the creator")
        payout.approved_by = actor[:200]
        payout.save(update_fields=["approved_by"])
        schedule(payout, actor, reason="approved")
    return payout


def payout_review_clear(*, payout_id: object, actor: str, reason: str = "cleared") -> Payout:
    """Clear a payout in review; it continues as a new one would (approval or schedule)."""
    with transaction.atomic():
        payout = _locked(None, payout_id)
        if payout.status != S.IN_REVIEW:
            raise InvalidTransition(f"payout {payout.id} is {payout.status}, not in review")
        thresholds = thresholds_get(platform_id=payout.platform_id)
        if thresholds.requires_approval(payout.currency, payout.amount_minor):
            transitions_apply(
                changes=[Change(payout, S.AWAITING_APPROVAL, reason=reason)], actor=actor
            )
        else:
            schedule(payout, actor, reason=reason)
    return payout


def payout_reject(*, payout_id: object, actor: str, reason: str) -> Payout:
    """Reject a payout in review, releasing its hold."""
    with transaction.atomic():
        payout = _locked(None, payout_id)
        transitions_apply(
            changes=[
                Change(
                    payout,
                    S.REJECTED,
                    entry=postings.release(payout, payout.platform.book_id, "rejected"),
                    reason=reason,
                )
            ],
            actor=actor,
        )
    return payout
