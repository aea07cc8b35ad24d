"""Completion figures for compliance administrators and managers.

Each function runs a fixed number of queries, whatever the number of people,
modules or assignments.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Q

from .models import AccessSuspension, TrainingAssignment, TrainingCompletion

OPEN = TrainingAssignment.Status.OPEN
COMPLETED = TrainingAssignment.Status.COMPLETED


@dataclass(frozen=True)
class ReportFilter:
    module_id: int | None = None
    department: str = ""
    completed_from: date | None = None
    completed_to: date | None = None


def _assignments(report_filter):
    rows = TrainingAssignment.objects.filter(user__is_active=True).exclude(
        status=TrainingAssignment.Status.CANCELLED
    )
    if report_filter.module_id:
        rows = rows.filter(module_id=report_filter.module_id)
    if report_filter.department:
        rows = rows.filter(user__department=report_filter.department)
    return rows


def _counts(today):
    return {
        "assigned": Count("id"),
        "completed": Count("id", filter=Q(status=COMPLETED)),
        "open": Count("id", filter=Q(status=OPEN)),
        "overdue": Count("id", filter=Q(status=OPEN, due_date__lt=today)),
        "exhausted": Count("id", filter=Q(status=OPEN, attempts_exhausted_at__isnull=False)),
    }


def _with_rate(rows):
    for row in rows:
        row["rate"] = round(100 * row["completed"] / row["assigned"]) if row["assigned"] else 0
    return rows


def by_module(report_filter, today):
    rows = (
        _assignments(report_filter).values("module_id", "module__title")
        .annotate(**_counts(today)).order_by("module__title")
    )
    return _with_rate(list(rows))


def by_department(report_filter, today):
    rows = (
        _assignments(report_filter).values("module__title", "user__department")
        .annotate(**_counts(today)).order_by("module__title", "user__department")
    )
    return _with_rate(list(rows))


def completions_in_period(report_filter):
    """Return completions per module with ``completed_at`` in the period."""
    rows = TrainingCompletion.objects.filter(assignment__user__is_active=True)
    if report_filter.module_id:
        rows = rows.filter(assignment__module_id=report_filter.module_id)
    if report_filter.department:
        rows = rows.filter(assignment__user__department=report_filter.department)
    if report_filter.completed_from:
        rows = rows.filter(completed_at__date__gte=report_filter.completed_from)
    if report_filter.completed_to:
        rows = rows.filter(completed_at__date__lte=report_filter.completed_to)
    return list(
        rows.values("assignment__module__title")
        .annotate(completions=Count("id"), people=Count("assignment__user_id", distinct=True))
        .order_by("assignment__module__title")
    )


def overdue(report_filter, today):
    return list(
        _assignments(report_filter).filter(status=OPEN, due_date__lt=today)
        .select_related("user", "module").order_by("due_date", "user__last_name")
    )


def iter_detail_rows(report_filter, today, chunk_size=2000):
    """Yield one row per assignment for the exports, reading the rows in chunks."""
    rows = (
        _assignments(report_filter).select_related("user", "module")
        .order_by("module__title", "user__last_name", "user__first_name", "pk")
    )
    for a in rows.iterator(chunk_size=chunk_size):
        yield {
            "person": str(a.user),
            "email": a.user.email,
            "department": a.user.department,
            "module": a.module.title,
            "status": a.get_status_display(),
            "cycle": a.cycle,
            "due_date": a.due_date,
            "valid_until": a.valid_until,
            "overdue": a.is_overdue(today),
            "attempts_exhausted": a.attempts_exhausted_at is not None,
        }


def detail_rows(report_filter, today):
    """Return one row per assignment for the CSV, XLSX and PDF exports."""
    return list(iter_detail_rows(report_filter, today))


def departments():
    return list(
        TrainingAssignment.objects.exclude(user__department="")
        .order_by("user__department").values_list("user__department", flat=True).distinct()
    )


def team(manager):
    """Return the manager's reports' assignments, with the latest score of each."""
    return list(
        TrainingAssignment.objects.filter(user__manager=manager, user__is_active=True)
        .exclude(status=TrainingAssignment.Status.CANCELLED)
        .select_related("user", "module")
        .annotate(
            attempts_used=Count("attempts", filter=Q(attempts__cycle=F("cycle"))),
            user_suspended=Exists(
                AccessSuspension.objects.filter(user=OuterRef("user"), lifted_at__isnull=True)
            ),
        )
        .order_by("user__last_name", "user__first_name", "module__title")
    )



def suspensions(report_filter=None):
    """Return the suspensions in force, oldest first, with the person."""
    rows = AccessSuspension.objects.filter(lifted_at__isnull=True, user__is_active=True)
    if report_filter is not None and report_filter.department:
        rows = rows.filter(user__department=report_filter.department)
    return list(rows.select_related("user").order_by("started_at", "pk"))


def suspension_rows():
    """Return one row per suspension in force, for the identity provider and HR."""
    return [
        {
            "email": suspension.user.email,
            "employee_number": suspension.user.employee_number or "",
            "person": str(suspension.user),
            "department": suspension.user.department,
            "started_at": suspension.started_at.isoformat(timespec="seconds"),
            "reason": suspension.reason,
        }
        for suspension in suspensions()
    ]
