"""Access review actions: start, decide, close, and closing leavers' items.

Each state-changing function checks who acts, runs in a transaction, writes
the audit event and records simple-history rows that name a user: the person
who acted, or the ``system`` user when a task acts on its own.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from guardian.models import UserObjectPermission
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..accounts import roles
from ..accounts.sessions import end_user_sessions
from ..attestations.system import system_user
from ..audit.services import record_event
from .models import AccessReview, ReviewItem
from .periods import default_due_date, parse_period, period_label
from .snapshot import snapshot_items

logger = logging.getLogger(__name__)

REASON_MAX_CHARS = 1000
BATCH_SIZE = 2000


class AlreadyDecided(ValidationError):
    """The item already carries this decision, or a final one."""


def is_compliance_admin(user):
    return roles.user_has_role(user, roles.COMPLIANCE_ADMINS)


def require_compliance_admin(user):
    if not is_compliance_admin(user):
        raise PermissionDenied("Only compliance admins can start, close or export access reviews.")


def start_review(period, due_date=None, *, actor=None, system_actor="", request=None):
    """Create the review of ``period`` and snapshot every active user's rights.

    Return ``(review, created)``. When a review of the period exists already
    it is returned unchanged and nothing is snapshotted again. The unique
    period and the unique item per person and right guard concurrent starts.
    ``actor`` must be a compliance admin; a task passes ``system_actor``.
    """
    if actor is None and not system_actor:
        raise ValueError("Name who starts the review: pass actor or system_actor.")
    if actor is not None:
        require_compliance_admin(actor)
    period = period_label(*parse_period(period))
    due_date = due_date or default_due_date(period)
    if due_date < timezone.localdate():
        raise ValidationError(
            f"The due date {due_date:%d %b %Y} is in the past; choose today or later."
        )
    existing = AccessReview.objects.filter(period=period).first()
    if existing is not None:
        return existing, False
    history_user = actor or system_user()
    try:
        with transaction.atomic():
            review = AccessReview(period=period, due_date=due_date, started_by=history_user)
            review._history_user = history_user
            review.save()
            items = snapshot_items(review)
            bulk_create_with_history(
                items,
                ReviewItem,
                batch_size=BATCH_SIZE,
                default_user=history_user,
                default_change_reason="Snapshot when the review started",
            )
            record_event(
                "access_review.started",
                actor=actor,
                system_actor=system_actor,
                obj=review,
                request=request,
                detail={"period": period, "due_date": due_date.isoformat(), "items": len(items)},
            )
    except IntegrityError:
        # A concurrent start of the same period committed first.
        return AccessReview.objects.get(period=period), False
    logger.info("Access review %s started with %s items", review.pk, len(items))
    return review, True


def reviewer_unavailable(item):
    return item.reviewer_id is None or not item.reviewer.is_active


def can_decide(item, user):
    """Return whether ``user`` may decide ``item``: its reviewer, or a
    compliance admin when no active reviewer is assigned. The subject of an
    item never decides it."""
    if not user.is_authenticated or not user.is_active or item.subject_id == user.pk:
        return False
    if item.reviewer_id == user.pk:
        return True
    return reviewer_unavailable(item) and is_compliance_admin(user)


def items_to_decide(user):
    """Return the items of open reviews that ``user`` may decide."""
    if not user.is_authenticated or not user.is_active:
        return ReviewItem.objects.none()
    mine = Q(reviewer=user)
    if is_compliance_admin(user):
        mine |= Q(reviewer__isnull=True) | Q(reviewer__is_active=False)
    return ReviewItem.objects.filter(mine, review__status=AccessReview.Status.OPEN).exclude(
        subject=user
    )


def _clean_decision(decision, reason):
    if decision not in (ReviewItem.Decision.KEEP, ReviewItem.Decision.REVOKE):
        raise ValidationError(f"The decision {decision!r} is invalid; choose keep or revoke.")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError(
            f"The reason has {len(reason)} characters; shorten it to {REASON_MAX_CHARS} or fewer."
        )
    return reason


def _check_decidable(item, decision):
    """Raise ValidationError unless ``item`` may take ``decision`` now.

    A kept right may still be revoked while the review is open. A revocation
    is final, because the right is already gone, and the same decision twice
    is rejected so a double submit records nothing.
    """
    review = item.review
    if not review.is_open:
        raise ValidationError(
            f"The access review {review.period} is closed; decisions can no longer be recorded."
        )
    if item.decision == ReviewItem.Decision.CLOSED:
        raise ValidationError(
            f"{item.right_label} of {item.subject} was closed because the account was "
            "deactivated; there is nothing left to decide."
        )
    if not item.subject.is_active:
        raise ValidationError(
            f"{item.subject} was deactivated and holds no access any more; "
            "the item closes by itself."
        )
    when = timezone.localtime(item.decided_at).strftime("%d %b %Y %H:%M") if item.decided_at else ""
    if item.decision == decision:
        raise AlreadyDecided(
            f"{item.right_label} of {item.subject} was already marked "
            f"{item.get_decision_display().lower()} by {item.decided_by} on {when}; "
            "nothing was changed."
        )
    if item.decision == ReviewItem.Decision.REVOKE:
        raise AlreadyDecided(
            f"{item.right_label} of {item.subject} was revoked by {item.decided_by} on {when}; "
            "a revocation is final. Request the access again if it is still needed."
        )


def _remove_right(item):
    """Remove the right of ``item`` from its subject; return whether it was held.

    Removing a group membership ends the subject's sessions through the
    account receivers; removing an object permission ends them here.
    """
    subject = item.subject
    if item.kind == ReviewItem.Kind.GROUP:
        if item.group_id is None or not subject.groups.filter(pk=item.group_id).exists():
            return False
        subject.groups.remove(item.group_id)
        return True
    rows = UserObjectPermission.objects.filter(
        user=subject,
        permission_id=item.permission_id,
        content_type_id=item.content_type_id,
        object_pk=item.object_pk,
    )
    removed = 0
    for row in rows:
        row.delete()
        removed += 1
    if removed:
        transaction.on_commit(lambda: end_user_sessions(subject))
    return bool(removed)


def decide(item, actor, decision, reason="", request=None):
    """Record ``actor``'s keep or revoke decision on ``item``; a revocation
    removes the right in the same transaction. Return the updated item."""
    reason = _clean_decision(decision, reason)
    if decision == ReviewItem.Decision.REVOKE and not reason:
        raise ValidationError(
            f"Give the reason for revoking {item.right_label} from {item.subject}; "
            "it is kept on record."
        )
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if not can_decide(item, actor):
            raise PermissionDenied("You cannot decide on this right.")
        _check_decidable(item, decision)
        previous = item.decision
        item.decision = decision
        item.reason = reason
        item.decided_by = actor
        item.decided_at = timezone.now()
        held = None
        if decision == ReviewItem.Decision.REVOKE:
            held = _remove_right(item)
            item.applied_at = item.decided_at
        item._history_user = actor
        item._change_reason = f"Decided: {decision}"
        item.save()
        action = "revoked" if decision == ReviewItem.Decision.REVOKE else "kept"
        record_event(
            f"access_review.item_{action}",
            actor=actor,
            obj=item,
            request=request,
            detail={
                "review": item.review_id,
                "subject": item.subject_id,
                "right": item.right_key,
                "previous": previous,
                "right_was_held": held,
            },
        )
    return item


def close_items_of_deactivated(review_ids=None, subject_ids=None, actor=None):
    """Close the undecided items of deactivated people in open reviews; return
    how many were closed. Their access was already removed at deactivation."""
    items = ReviewItem.objects.filter(
        review__status=AccessReview.Status.OPEN,
        decision=ReviewItem.Decision.PENDING,
        subject__is_active=False,
    )
    if review_ids is not None:
        items = items.filter(review_id__in=review_ids)
    if subject_ids is not None:
        items = items.filter(subject_id__in=subject_ids)
    changed = list(items)
    if not changed:
        return 0
    now = timezone.now()
    for item in changed:
        item.decision = ReviewItem.Decision.CLOSED
        item.decided_at = now
    bulk_update_with_history(
        changed,
        ReviewItem,
        ["decision", "decided_at"],
        batch_size=BATCH_SIZE,
        default_user=actor or system_user(),
        default_change_reason="Account deactivated",
    )
    return len(changed)


def outcome_counts(review):
    """Return the number of items per decision in ``review``."""
    decision = ReviewItem.Decision
    return ReviewItem.objects.filter(review=review).aggregate(
        items=Count("pk"),
        kept=Count("pk", filter=Q(decision=decision.KEEP)),
        revoked=Count("pk", filter=Q(decision=decision.REVOKE)),
        not_certified=Count("pk", filter=Q(decision=decision.PENDING)),
        closed_deactivated=Count("pk", filter=Q(decision=decision.CLOSED)),
    )


def close_review(review, actor, request=None):
    """Close ``review`` and record its outcome; undecided items stay as not
    certified. Closing a closed review changes nothing."""
    require_compliance_admin(actor)
    with transaction.atomic():
        review = AccessReview.objects.select_for_update().get(pk=review.pk)
        if not review.is_open:
            return review
        close_items_of_deactivated(review_ids=[review.pk], actor=actor)
        review.outcome = outcome_counts(review)
        review.status = AccessReview.Status.CLOSED
        review.closed_by = actor
        review.closed_at = timezone.now()
        review._history_user = actor
        review.save()
        record_event(
            "access_review.closed",
            actor=actor,
            obj=review,
            request=request,
            detail=review.outcome,
        )
    return review
