"""Overdue and missed procedure runs for the compliance dashboard.

A run is overdue when it is not completed and its due date has passed, and
missed when its schedule period ended before it was completed. Each function
runs a fixed number of queries.
"""

from django.db.models import Count, Q
from django.utils import timezone

from .models import ProcedureRun


def _late(now, today):
    return {
        "overdue": Q(status__in=ProcedureRun.ACTIVE, due_date__lt=today),
        "missed": Q(status__in=ProcedureRun.ACTIVE, period_end__lte=now),
        "awaiting": Q(status=ProcedureRun.Status.AWAITING_SIGN_OFF),
    }


def totals(now=None):
    now = now or timezone.now()
    today = timezone.localdate(now)
    late = _late(now, today)
    return ProcedureRun.objects.aggregate(
        open=Count("id", filter=Q(status__in=ProcedureRun.ACTIVE)),
        overdue=Count("id", filter=late["overdue"]),
        missed=Count("id", filter=late["missed"]),
        awaiting_sign_off=Count("id", filter=late["awaiting"]),
    )


def late_runs(now=None, limit=200):
    """Return overdue and missed runs, most overdue first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    late = _late(now, today)
    return (
        ProcedureRun.objects.filter(late["overdue"] | late["missed"])
        .select_related("version", "assignee", "assignee__manager", "started_by")
        .order_by("due_date", "pk")[:limit]
    )
