"""Procedure runs as they stood at the end of a given day, for the as-of view.

Each run's state is rebuilt from its timestamps, so later work does not
change the state shown for an earlier date.
"""

from dataclasses import dataclass

from ..policies.asof import end_of_day
from .models import ProcedureRun


@dataclass(frozen=True)
class RunOnDay:
    run: ProcedureRun
    state: str


def state_at(run, cutoff, day):
    if run.signed_off_at is not None and run.signed_off_at < cutoff:
        return "Completed and signed off"
    if run.completed_at is not None and run.completed_at < cutoff:
        return "Awaiting sign-off" if run.sign_off_group_id else "Completed"
    if run.period_end is not None and run.period_end <= cutoff:
        return "Missed"
    if run.due_date < day:
        return "Overdue"
    return (
        "In progress" if run.started_at is not None and run.started_at < cutoff else "Not started"
    )


def runs_on(day, slug=None, limit=500):
    """Return RunOnDay rows for runs created by the end of ``day`` that were
    open then or finished in the 31 days before it."""
    import datetime

    cutoff = end_of_day(day)
    since = cutoff - datetime.timedelta(days=31)
    runs = (
        ProcedureRun.objects.filter(created_at__lt=cutoff)
        .exclude(completed_at__lt=since, status=ProcedureRun.Status.COMPLETED)
        .select_related("version", "procedure")
        .order_by("version__title", "created_at", "pk")
    )
    if slug:
        runs = runs.filter(procedure__slug=slug)
    return [RunOnDay(run, state_at(run, cutoff, day)) for run in runs[:limit]]
