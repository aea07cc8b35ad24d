"""Reminders to people with open training and escalations to their managers.

Every email goes through ``notifications.services.send_once`` with a
``daily_key`` per assignment and recipient, so each person gets at most one
reminder and each manager one escalation per assignment and day.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from ..notifications.services import daily_key, send_once
from .models import TrainingAssignment

logger = logging.getLogger(__name__)


def _open(today):
    days_before = getattr(settings, "TRAINING_REMINDER_DAYS_BEFORE", [7, 1])
    due_soon = [today + timedelta(days=days) for days in days_before]
    return TrainingAssignment.objects.filter(
        Q(due_date__in=due_soon) | Q(due_date__lte=today),
        status=TrainingAssignment.Status.OPEN, user__is_active=True, module__live=True,
    )


def reminder_ids(today):
    return list(_open(today).order_by("pk").values_list("pk", flat=True))


def escalation_ids(today):
    after = getattr(settings, "TRAINING_ESCALATION_AFTER_DAYS", 7)
    return list(
        _open(today).filter(
            due_date__lte=today - timedelta(days=after), user__manager__is_active=True
        ).order_by("pk").values_list("pk", flat=True)
    )


def _module_url(module):
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return f"{base}{reverse('training:module', args=[module.slug])}"


def send_reminders(assignment_ids, today, actor):
    """Remind each assignee; return how many emails were sent."""
    sent = 0
    rows = _open(today).filter(pk__in=assignment_ids).select_related("user", "module")
    for assignment in rows:
        overdue = assignment.due_date < today
        subject = (
            f"Overdue training: {assignment.module.title}" if overdue
            else f"Training due {assignment.due_date:%d %b %Y}: {assignment.module.title}"
        )
        key = daily_key("training-reminder", assignment.pk, assignment.user_id, day=today)
        context = {"module_title": assignment.module.title, "due_date": assignment.due_date,
                   "overdue": overdue, "url": _module_url(assignment.module)}
        if send_once(key, "training-reminder", assignment.user, subject,
                     "training/email/reminder", context, actor):
            sent += 1
    return sent


def send_escalations(assignment_ids, today, actor):
    """Tell each overdue person's line manager; return how many emails were sent.

    The email names the module and due date, not the person; the team page
    behind sign-in shows who.
    """
    sent = 0
    rows = (
        _open(today).filter(pk__in=assignment_ids, user__manager__isnull=False)
        .select_related("user__manager", "module")
    )
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    for assignment in rows:
        manager = assignment.user.manager
        key = daily_key("training-escalation", assignment.pk, manager.pk, day=today)
        context = {"module_title": assignment.module.title, "due_date": assignment.due_date,
                   "team_url": f"{base}{reverse('training:team')}", "exhausted": False}
        if send_once(key, "training-escalation", manager, "Overdue training in your team",
                     "training/email/escalation", context, actor):
            sent += 1
    return sent


def notify_attempts_exhausted(assignment_id, today, actor):
    """Tell the line manager that a report failed the last allowed attempt.

    Without a line manager the flag stays on the assignment for compliance
    administrators, and nothing is sent.
    """
    assignment = TrainingAssignment.objects.select_related("user__manager", "module").get(
        pk=assignment_id
    )
    manager = assignment.user.manager
    if manager is None:
        logger.info("Training assignment %s exhausted attempts; no line manager", assignment.pk)
        return False
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    key = daily_key("training-attempts-exhausted", assignment.pk, manager.pk, day=today)
    context = {"module_title": assignment.module.title, "due_date": assignment.due_date,
               "team_url": f"{base}{reverse('training:team')}", "exhausted": True}
    return send_once(key, "training-attempts-exhausted", manager,
                     "Training attempts used up in your team",
                     "training/email/escalation", context, actor)
