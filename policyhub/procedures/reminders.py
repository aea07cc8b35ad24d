"""Reminders to performers of due runs and escalations of overdue runs.

Every email goes through ``notifications.services.send_once`` with a
``daily_key``. A person therefore gets at most one reminder per run and day,
and a line manager at most one escalation per run and day, whatever the
number of beat ticks, retries or workers.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse

from ..notifications.services import daily_key, send_once
from .models import ProcedureRun


def _open_runs():
    return ProcedureRun.objects.filter(status__in=ProcedureRun.ACTIVE).select_related(
        "procedure", "version", "assignee__manager", "started_by__manager"
    )


def _run_url(run):
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return f"{base}{reverse('procedures:run', args=[run.pk])}"


def performers_to_remind(run):
    """Return the assignee, or else the active members of the performing roles."""
    if run.assignee_id:
        return [run.assignee]
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__in=run.procedure.performer_groups.all())
        .distinct()
        .order_by("pk")
    )


def send_reminders(today, actor):
    """Remind performers of runs due in the configured days, or overdue; return
    how many emails were sent."""
    days = [today + datetime.timedelta(days=n) for n in settings.PROCEDURE_REMINDER_DAYS_BEFORE]
    runs = _open_runs().filter(Q(due_date__in=days) | Q(due_date__lte=today))
    sent = 0
    for run in runs.order_by("due_date", "pk"):
        overdue = run.due_date < today
        subject = (
            f"{'Overdue' if overdue else 'Due'}: {run.version.title} "
            f"({run.period_key}) by {run.due_date:%d %b %Y}"
        )
        context = {
            "title": run.version.title,
            "period": run.period_key,
            "due_date": run.due_date,
            "overdue": overdue,
            "url": _run_url(run),
        }
        for person in performers_to_remind(run):
            key = daily_key("procedure-reminder", run.pk, person.pk, day=today)
            sent += send_once(
                key,
                "procedure-reminder",
                person,
                subject,
                "procedures/email/run_reminder",
                context,
                actor,
            )
    return sent


def escalation_target(run):
    """Return the line manager of the run's assignee, or of whoever started it."""
    person = run.assignee or run.started_by
    manager = person.manager if person is not None else None
    if manager is None or not manager.is_active:
        return None
    return manager


def send_escalations(today, actor):
    """Tell line managers about runs overdue by the escalation delay; return
    how many emails were sent."""
    cutoff = today - datetime.timedelta(days=settings.PROCEDURE_ESCALATION_AFTER_DAYS)
    sent = 0
    for run in _open_runs().filter(due_date__lt=cutoff).order_by("due_date", "pk"):
        manager = escalation_target(run)
        if manager is None:
            continue
        subject = f"Escalation: {run.version.title} ({run.period_key}) is overdue"
        context = {
            "title": run.version.title,
            "period": run.period_key,
            "due_date": run.due_date,
            "url": _run_url(run),
        }
        key = daily_key("procedure-escalation", run.pk, manager.pk, day=today)
        sent += send_once(
            key,
            "procedure-escalation",
            manager,
            subject,
            "procedures/email/run_escalation",
            context,
            actor,
        )
    return sent
