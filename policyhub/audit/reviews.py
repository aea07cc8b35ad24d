"""Periodic log reviews: creation on schedule, sign-off and escalation."""

import logging
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..notifications.services import send_once
from .models import AuditEvent, LogReview, Outcome
from .permissions import SECURITY_TEAM, SIGN_OFF_PERMISSION, is_security_team_member
from .services import record_event

logger = logging.getLogger(__name__)
ADMIN_GRANT = "access.admin_granted"
# Events each kind of review lists. Failed sign-ins are the failures among
# the ``auth.login`` events; the rest are listed by action.
SECURITY_ACTIONS = (
    "auth.lockout",
    "auth.unlock",
    "access.denied",
    ADMIN_GRANT,
    "access.admin_revoked",
    "account.deactivated",
    "account.password_reset",
    "mfa.authenticator_removed",
    "audit.purged",
)
PRIVILEGED_ACTIONS = (
    ADMIN_GRANT,
    "access.admin_revoked",
    "access.group_added",
    "access.group_removed",
    "access.permission_added",
    "access.permission_removed",
    "access.object_permission_added",
    "access.object_permission_removed",
    "access.page_permission_added",
    "access.page_permission_changed",
    "access.page_permission_removed",
    "account.deactivated",
    "account.reactivated",
)


def period_containing(moment, months):
    """Return (start, end) of the ``months``-long period containing ``moment``.

    Periods start at midnight on the first day of a month whose number minus
    one is a multiple of ``months`` (quarters start in January, April, July
    and October), in the configured time zone.
    """
    local = timezone.localtime(moment)
    month = (local.month - 1) // months * months + 1
    start = timezone.make_aware(datetime(local.year, month, 1))
    return start, start + relativedelta(months=months)


def last_completed_period(kind, now):
    months = settings.AUDIT_LOG_REVIEW_PERIOD_MONTHS[kind]
    current_start, _ = period_containing(now, months)
    return period_containing(current_start - timedelta(seconds=1), months)


def events_in_scope(review):
    """Return the events ``review`` covers, oldest first."""
    if review.kind == LogReview.Kind.SECURITY_EVENTS:
        wanted = Q(action="auth.login", outcome=Outcome.FAILURE) | Q(action__in=SECURITY_ACTIONS)
    else:
        wanted = Q(action__in=PRIVILEGED_ACTIONS)
    return AuditEvent.objects.filter(
        wanted, occurred_at__gte=review.period_start, occurred_at__lt=review.period_end
    ).order_by("id")


def admin_grant_parties(review):
    """Return the ids of users who granted or received admin rights in scope."""
    parties = set()
    for event in events_in_scope(review).filter(action=ADMIN_GRANT):
        parties.update(int(pk) for pk in event.detail.get("users", []))
        if event.actor_id:
            parties.add(event.actor_id)
    return parties


def security_team():
    return get_user_model().objects.filter(groups__name=SECURITY_TEAM, is_active=True)


def create_due_reviews(actor_label, now=None):
    """Create the review of each kind's last completed period; return the new
    reviews. A second run for the same period creates nothing."""
    now = now or timezone.now()
    created = []
    for kind in LogReview.Kind.values:
        start, end = last_completed_period(kind, now)
        try:
            with transaction.atomic():
                review, is_new = LogReview.objects.get_or_create(
                    kind=kind,
                    period_start=start,
                    defaults={
                        "period_end": end,
                        "due_at": end + timedelta(days=settings.AUDIT_LOG_REVIEW_DUE_DAYS),
                        "created_by_label": actor_label,
                    },
                )
                if is_new:
                    record_event(
                        "logreview.created",
                        obj=review,
                        system_actor=actor_label,
                        detail={
                            "kind": kind,
                            "period_start": start.isoformat(),
                            "period_end": end.isoformat(),
                        },
                    )
        except IntegrityError:
            # A concurrent run created the same review first.
            continue
        if is_new:
            created.append(review)
            _notify(review, "assigned", actor_label)
    return created


def _notify(review, what, actor_label, recipients=None, key_suffix=""):
    sent = 0
    subject = {
        "assigned": f"Log review due: {review}",
        "overdue": f"Log review overdue: {review}",
    }[what]
    for user in recipients if recipients is not None else security_team():
        key = f"logreview-{what}:{review.pk}:{user.pk}{key_suffix}"
        if send_once(
            key,
            f"logreview-{what}",
            user,
            subject,
            f"audit/email/log_review_{what}",
            {"review": review},
            actor_label,
        ):
            sent += 1
    return sent


def escalate_overdue_reviews(actor_label, now=None):
    """Email the Security Team and Compliance Admins about each open review
    past its due date, once per review, recipient and ISO week."""
    now = now or timezone.now()
    year, week, _ = timezone.localtime(now).isocalendar()
    recipients = list(
        get_user_model()
        .objects.filter(
            Q(groups__name=SECURITY_TEAM) | Q(groups__name="Compliance Admins"),
            is_active=True,
        )
        .distinct()
    )
    escalated = 0
    for review in LogReview.objects.filter(status=LogReview.Status.OPEN, due_at__lt=now):
        sent = _notify(review, "overdue", actor_label, recipients, f":{year}-W{week:02d}")
        if sent:
            escalated += 1
            record_event(
                "logreview.escalated",
                obj=review,
                system_actor=actor_label,
                detail={"due_at": review.due_at.isoformat(), "recipients": sent},
            )
    return escalated


def sign_off(review_id, reviewer, findings, follow_up_actions, request=None):
    """Sign off a review as ``reviewer``; return the updated review.

    The reviewer must be an active Security Team member with the sign-off
    permission and must not have granted or received admin rights among the
    events in scope. Findings are required. A second submission raises
    ValidationError and changes nothing.
    """
    if not (reviewer.has_perm(SIGN_OFF_PERMISSION) and is_security_team_member(reviewer)):
        raise PermissionDenied("Only Security Team members sign off log reviews.")
    findings = (findings or "").strip()
    if not findings:
        raise ValidationError(
            {
                "findings": 'Findings are required. Write "No findings" when the '
                "review found nothing to act on."
            }
        )
    with transaction.atomic():
        review = LogReview.objects.select_for_update().get(pk=review_id)
        if review.status != LogReview.Status.OPEN:
            raise ValidationError(
                f"This review was already signed off on {review.signed_off_at:%Y-%m-%d %H:%M}; "
                "nothing was changed."
            )
        if reviewer.pk in admin_grant_parties(review):
            raise PermissionDenied(
                "You granted or received admin rights in this review's period, so "
                "another Security Team member must sign it off."
            )
        review.status = LogReview.Status.SIGNED_OFF
        review.reviewer = reviewer
        review.signed_off_at = timezone.now()
        review.findings = findings
        review.follow_up_actions = (follow_up_actions or "").strip()
        review.events_reviewed = events_in_scope(review).count()
        review._change_reason = "Signed off"
        review.save()
        record_event(
            "logreview.signed_off",
            actor=reviewer,
            obj=review,
            request=request,
            detail={
                "kind": review.kind,
                "period_start": review.period_start.isoformat(),
                "events_reviewed": review.events_reviewed,
                "has_follow_up": bool(review.follow_up_actions),
            },
        )
    logger.info("Log review %s signed off by user %s", review.pk, reviewer.pk)
    return review
