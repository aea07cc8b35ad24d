"""Reminders to reviewers and escalations to their managers.

Every email goes through ``notifications.services.send_once``. Reminders use
``daily_key("access-review-reminder", review, recipient)`` and escalations
``daily_key("access-review-escalation", review, recipient)``, so each person
gets at most one of each per review and day, whatever the number of beat
ticks, task retries or workers.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ..accounts import roles
from ..attestations.system import system_user
from ..notifications.services import daily_key, send_once
from .models import AccessReview, ReviewItem

logger = logging.getLogger(__name__)

UNAVAILABLE_REVIEWER = Q(reviewer__isnull=True) | Q(reviewer__is_active=False)


def undecided(review):
    return ReviewItem.objects.filter(
        review=review, decision=ReviewItem.Decision.PENDING, subject__is_active=True
    )


def compliance_admins():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.COMPLIANCE_ADMINS)
        .distinct()
    )


def reminder_due(review, day):
    """Return whether ``day`` is a reminder day: a configured number of days before
    the due date, the due date itself, or any later day."""
    offsets = settings.POLICYHUB_ACCESS_REVIEW_REMINDER_DAYS_BEFORE
    return day >= review.due_date or (review.due_date - day).days in offsets


def reminder_counts(review):
    """Return {recipient id: undecided items they may decide}.

    Reviewers count their own items; every compliance admin counts the items
    without an active reviewer, except those about themselves.
    """
    items = undecided(review)
    counts = defaultdict(int)
    assigned = items.exclude(UNAVAILABLE_REVIEWER).values("reviewer_id").annotate(n=Count("pk"))
    for row in assigned:
        counts[row["reviewer_id"]] += row["n"]
    queue = items.filter(UNAVAILABLE_REVIEWER)
    if queue.exists():
        for admin_id in compliance_admins().values_list("pk", flat=True):
            own = queue.exclude(subject_id=admin_id).count()
            if own:
                counts[admin_id] += own
    return dict(counts)


def _review_url():
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("access_reviews:mine")


def send_reminders(review_id, day, actor):
    """Email everyone who has undecided items in an open review; return how
    many emails were sent."""
    review = AccessReview.objects.get(pk=review_id)
    if not review.is_open or not reminder_due(review, day):
        return 0
    counts = reminder_counts(review)
    overdue = day > review.due_date
    sent = 0
    for recipient in get_user_model().objects.filter(pk__in=counts, is_active=True):
        count = counts[recipient.pk]
        subject = (
            f"Overdue: access review {review.period}, {count} right(s) to decide"
            if overdue
            else f"Reminder: access review {review.period}, {count} right(s) to decide "
            f"by {review.due_date:%d %b %Y}"
        )
        context = {
            "period": review.period,
            "due_date": review.due_date,
            "count": count,
            "overdue": overdue,
            "url": _review_url(),
        }
        key = daily_key("access-review-reminder", review.pk, recipient.pk, day=day)
        if send_once(
            key,
            "access-review-reminder",
            recipient,
            subject,
            "notifications/access_review_reminder",
            context,
            actor,
        ):
            sent += 1
    return sent


def escalation_candidates(review, day):
    """Return undecided, not yet escalated items once ``day`` is the configured
    number of days past the due date; otherwise none."""
    after = settings.POLICYHUB_ACCESS_REVIEW_ESCALATION_AFTER_DAYS
    if day < review.due_date + timedelta(days=after):
        return ReviewItem.objects.none()
    return undecided(review).filter(escalated_at__isnull=True)


def escalation_targets(items):
    """Return {recipient id: items}: the reviewer's active manager, or every
    compliance admin when the reviewer is missing, inactive or has no manager."""
    targets = defaultdict(list)
    admins = None
    for item in items.select_related("reviewer__manager"):
        reviewer = item.reviewer
        boss = reviewer.manager if reviewer is not None and reviewer.is_active else None
        if boss is not None and boss.is_active and boss.pk != item.subject_id:
            targets[boss.pk].append(item)
            continue
        if admins is None:
            admins = list(compliance_admins().values_list("pk", flat=True))
        for admin_id in admins:
            if admin_id != item.subject_id:
                targets[admin_id].append(item)
    return targets


def _mark_escalated(items):
    """Record on ``items`` that an escalation about them was sent."""
    pending = [item for item in items if item.escalated_at is None]
    now = timezone.now()
    for item in pending:
        item.escalated_at = now
    bulk_update_with_history(
        pending,
        ReviewItem,
        ["escalated_at"],
        default_user=system_user(),
        default_change_reason="Escalated past the due date",
    )


def send_escalations(review_id, day, actor):
    """Tell each escalation target how many rights are still undecided past
    the due date, and return how many emails were sent.

    Items are marked escalated right after an email about them is sent, so
    each escalates once even when a later email of the batch fails.
    """
    review = AccessReview.objects.get(pk=review_id)
    if not review.is_open:
        return 0
    targets = escalation_targets(escalation_candidates(review, day))
    sent = 0
    for recipient in get_user_model().objects.filter(pk__in=targets, is_active=True):
        items = targets[recipient.pk]
        context = {
            "period": review.period,
            "due_date": review.due_date,
            "count": len(items),
            "reviewer_count": len({item.reviewer_id for item in items}),
            "url": _review_url(),
        }
        subject = f"Escalation: access review {review.period} has {len(items)} undecided right(s)"
        key = daily_key("access-review-escalation", review.pk, recipient.pk, day=day)
        template = "notifications/access_review_escalation"
        if send_once(key, "access-review-escalation", recipient, subject, template, context, actor):
            sent += 1
            _mark_escalated(items)

    if sent:
        logger.info("Access review %s: %s escalation emails sent", review.pk, sent)
    return sent
