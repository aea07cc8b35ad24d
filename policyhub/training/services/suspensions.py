"""Suspension of access to Confidential information while recurring training
is more than ``TRAINING_SUSPEND_AFTER_DAYS`` days overdue.

The daily task suspends; completing the training, an extension or the end
of the obligation lifts the suspension. Each suspension and lift is one
``AccessSuspension`` row change with an audit event.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ...audit.services import record_event
from ...notifications.services import send_once
from ..models import AccessSuspension, TrainingAssignment

logger = logging.getLogger(__name__)


def suspend_after_days():
    return getattr(settings, "TRAINING_SUSPEND_AFTER_DAYS", 30)


def long_overdue(today):
    """Open recurring assignments more than the configured days past due."""
    cutoff = today - timedelta(days=suspend_after_days())
    return TrainingAssignment.objects.filter(
        status=TrainingAssignment.Status.OPEN,
        recurring=True,
        due_date__lt=cutoff,
        user__is_active=True,
        module__live=True,
    )


def suspension_in_force(user):
    """Return the user's suspension in force, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        AccessSuspension.objects.filter(user_id=user.pk, lifted_at__isnull=True)
        .prefetch_related("modules")
        .first()
    )


def suspend_overdue(today, actor, actor_label):
    """Suspend everyone with long-overdue recurring training who is not
    suspended yet; return the new suspensions' ids."""
    in_force = AccessSuspension.objects.filter(lifted_at__isnull=True)
    overdue = {}
    for user_id, module_id, title in (
        long_overdue(today)
        .exclude(user_id__in=in_force.values("user_id"))
        .order_by("user_id", "module__title")
        .values_list("user_id", "module_id", "module__title")
    ):
        overdue.setdefault(user_id, []).append((module_id, title))
    created = []
    for user_id, modules in overdue.items():
        suspension = _suspend(user_id, modules, today, actor, actor_label)
        if suspension is not None:
            created.append(suspension.pk)
    return created


def _suspend(user_id, modules, today, actor, actor_label):
    titles = ", ".join(title for _, title in modules)
    reason = (
        f"Training more than {suspend_after_days()} days overdue on {today:%d %b %Y}: {titles}."
    )
    try:
        with transaction.atomic():
            suspension = AccessSuspension(
                user_id=user_id,
                started_at=timezone.now(),
                reason=reason,
                started_by=actor_label[:200],
            )
            suspension._history_user = actor
            suspension.save()
            suspension.modules.set([module_id for module_id, _ in modules])
            record_event(
                "training.access_suspended",
                obj=suspension,
                system_actor=actor_label,
                detail={
                    "user": user_id,
                    "modules": [m for m, _ in modules],
                    "after_days": suspend_after_days(),
                },
            )
    except IntegrityError:
        # Suspended meanwhile by a duplicated or retried run.
        return None
    logger.info("Suspended user %s from Confidential information", user_id)
    return suspension


def lift_if_cleared(user_id, today, reason, actor, actor_label):
    """Lift the user's suspension when no recurring training of theirs is
    long overdue any more; return whether it was lifted."""
    with transaction.atomic():
        suspension = (
            AccessSuspension.objects.select_for_update()
            .filter(user_id=user_id, lifted_at__isnull=True)
            .first()
        )
        if suspension is None or long_overdue(today).filter(user_id=user_id).exists():
            return False
        suspension.lifted_at = timezone.now()
        suspension.lifted_reason = reason
        suspension.lifted_by = (actor_label or f"user:{actor.pk}")[:200]
        suspension._history_user = actor
        suspension._change_reason = reason[:100]
        suspension.save()
        record_event(
            "training.access_restored",
            obj=suspension,
            actor=actor,
            system_actor=actor_label,
            detail={"user": user_id, "reason": reason[:200]},
        )
    logger.info("Lifted the suspension of user %s", user_id)
    return True


def lift_cleared(today, actor, actor_label):
    """Lift every suspension whose person is no longer long overdue, e.g.
    after an extension or a retired rule; return how many were lifted."""
    still_overdue = long_overdue(today).values("user_id")
    candidates = (
        AccessSuspension.objects.filter(lifted_at__isnull=True)
        .exclude(user_id__in=still_overdue)
        .values_list("user_id", flat=True)
    )
    return sum(
        lift_if_cleared(user_id, today, "No training is long overdue any more.", actor, actor_label)
        for user_id in list(candidates)
    )


def notify_suspension(suspension_id, actor_label):
    """Email the person and their line manager once about a suspension;
    return how many emails were sent."""
    suspension = AccessSuspension.objects.select_related("user__manager").get(pk=suspension_id)
    if not suspension.in_force:
        return 0
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    modules = [module.title for module in suspension.modules.order_by("title")]
    person = suspension.user
    recipients = [(person, "training/email/suspended", f"{base}{reverse('training:mine')}")]
    if person.manager is not None:
        recipients.append(
            (
                person.manager,
                "training/email/suspended_manager",
                f"{base}{reverse('training:team')}",
            )
        )
    sent = 0
    for recipient, template, url in recipients:
        key = f"training-suspended:{suspension.pk}:{recipient.pk}"
        context = {"modules": modules, "url": url, "after_days": suspend_after_days()}
        sent += send_once(
            key,
            "training-suspended",
            recipient,
            "Access to Confidential information suspended",
            template,
            context,
            actor_label,
        )
    return sent
