"""Figures of simulated phishing exercises: failure and reporting rates per
exercise and department, and the date of the last exercise.

Each function runs a fixed number of queries, whatever the number of people.
"""

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Max, Q

from .models import PhishingExercise, PhishingResult

# Exercises must run at least once a quarter; older than this raises a warning.
EXERCISE_INTERVAL = relativedelta(months=3)


def _counts(prefix=""):
    def q(condition):
        return Q(**{f"{prefix}{key}": value for key, value in condition.items()})

    failed = q({"clicked": True}) | q({"submitted_credentials": True})
    return {
        "targeted": Count(f"{prefix}id"),
        "failed": Count(f"{prefix}id", filter=failed),
        "clicked": Count(f"{prefix}id", filter=q({"clicked": True})),
        "submitted": Count(f"{prefix}id", filter=q({"submitted_credentials": True})),
        "reported": Count(f"{prefix}id", filter=q({"reported": True})),
    }


def _rates(row):
    targeted = row["targeted"]
    row["failure_rate"] = round(100 * row["failed"] / targeted) if targeted else 0
    row["reporting_rate"] = round(100 * row["reported"] / targeted) if targeted else 0
    return row


def summary(exercise):
    """Return the exercise's counts and rates in per cent."""
    return _rates(PhishingResult.objects.filter(exercise=exercise).aggregate(**_counts()))


def by_department(exercise):
    rows = (
        PhishingResult.objects.filter(exercise=exercise)
        .values("user__department")
        .annotate(**_counts())
        .order_by("user__department")
    )
    return [_rates(row) for row in rows]


def exercises():
    """Return every exercise with its counts and rates, newest first."""
    rows = (
        PhishingExercise.objects.select_related("followup_module")
        .annotate(**_counts("results__"))
        .order_by("-sent_on", "name")
    )
    return [_rates_on(row) for row in rows]


def _rates_on(exercise):
    figures = _rates(
        {"targeted": exercise.targeted, "failed": exercise.failed, "reported": exercise.reported}
    )
    exercise.failure_rate = figures["failure_rate"]
    exercise.reporting_rate = figures["reporting_rate"]
    return exercise


def cadence(today):
    """Return the last exercise's date and whether more than a quarter passed."""
    last = PhishingExercise.objects.aggregate(last=Max("sent_on"))["last"]
    return {"last_sent_on": last, "overdue": last is None or last < today - EXERCISE_INTERVAL}


def result_rows(exercise):
    """Return one row per person for the CSV export."""
    results = (
        PhishingResult.objects.filter(exercise=exercise)
        .select_related("user", "followup_assignment")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
    return [
        {
            "person": str(result.user),
            "email": result.user.email,
            "department": result.user.department,
            "clicked": result.clicked,
            "submitted_credentials": result.submitted_credentials,
            "reported": result.reported,
            "failed": result.failed,
            "followup_due_date": (
                result.followup_assignment.due_date if result.followup_assignment else None
            ),
            "followup_status": (
                result.followup_assignment.get_status_display()
                if result.followup_assignment
                else ""
            ),
        }
        for result in results
    ]
