"""Completion figures for the compliance dashboard, aggregated in the database.

Every function runs a fixed number of queries whatever the number of people,
campaigns or assignments. Deactivated users and superseded assignments are
left out of every figure; their rows stay in the database and its history.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils import timezone

from .campaigns import is_compliance_admin
from .models import Assignment, Campaign

COUNTED = (Assignment.Status.PENDING, Assignment.Status.COMPLETED)


@dataclass(frozen=True)
class Scope:
    """The part of the organisation a viewer may see: everyone, or direct reports."""

    everyone: bool
    manager_id: int | None = None

    @property
    def label(self):
        return "All employees" if self.everyone else "Your team"


def scope_for(user):
    """Return the viewer's scope, or raise PermissionDenied.

    Compliance admins get everyone, a line manager gets their direct reports.
    """
    if is_compliance_admin(user):
        return Scope(everyone=True)
    if user.is_authenticated and user.is_active and user.reports.exists():
        return Scope(everyone=False, manager_id=user.pk)
    raise PermissionDenied("The compliance dashboard is for compliance admins and line managers.")


def counted_assignments(scope, campaign=None):
    assignments = Assignment.objects.filter(
        status__in=COUNTED,
        user__is_active=True,
        campaign__status__in=(Campaign.Status.OPEN, Campaign.Status.CLOSED),
    )
    if not scope.everyone:
        assignments = assignments.filter(user__manager_id=scope.manager_id)
    if campaign is not None:
        assignments = assignments.filter(campaign=campaign)
    return assignments


def _totals(today):
    return {
        "total": Count("id"),
        "completed": Count("id", filter=Q(status=Assignment.Status.COMPLETED)),
        "overdue": Count(
            "id", filter=Q(status=Assignment.Status.PENDING, grace_until__lt=today)
        ),
    }


def _with_rates(rows):
    for row in rows:
        total = row["total"]
        row["rate"] = round(100 * row["completed"] / total, 1) if total else 0.0
        row["outstanding"] = total - row["completed"]
    return rows


def totals(assignments, today=None):
    today = today or timezone.localdate()
    return _with_rates([assignments.aggregate(**_totals(today))])[0]


def by_campaign(assignments, today=None, limit=50):
    today = today or timezone.localdate()
    rows = (
        assignments.values("campaign_id", "campaign__name", "campaign__due_date",
                           "campaign__status")
        .annotate(**_totals(today))
        .order_by("-campaign__due_date", "campaign_id")[:limit]
    )
    return _with_rates(list(rows))


def by_policy(assignments, today=None):
    today = today or timezone.localdate()
    rows = (
        assignments.values("version__policy_id", "version__title")
        .annotate(**_totals(today))
        .order_by("version__title")
    )
    return _merge_titles(_with_rates(list(rows)))


def _merge_titles(rows):
    """Fold rows of the same policy (titles can differ by version) into one."""
    merged = {}
    for row in rows:
        entry = merged.setdefault(
            row["version__policy_id"],
            {"policy_id": row["version__policy_id"], "title": row["version__title"],
             "total": 0, "completed": 0, "overdue": 0},
        )
        for key in ("total", "completed", "overdue"):
            entry[key] += row[key]
    return _with_rates(sorted(merged.values(), key=lambda row: row["title"]))


def by_department(assignments, today=None):
    today = today or timezone.localdate()
    rows = (
        assignments.values("user__department")
        .annotate(**_totals(today))
        .order_by("user__department")
    )
    return _with_rates(list(rows))


def overdue(assignments, today=None):
    """Return overdue assignments, most overdue first, with person and manager.

    Ordered by indexed columns only, so a page is read without sorting every
    overdue row.
    """
    today = today or timezone.localdate()
    return (
        assignments.filter(status=Assignment.Status.PENDING, grace_until__lt=today)
        .select_related("user", "user__manager", "version", "campaign")
        .order_by("grace_until", "pk")
    )


def people(assignments, department=None, status=None, today=None):
    """Return assignments for the drill-down, filtered by department and status."""
    today = today or timezone.localdate()
    if department is not None:
        assignments = assignments.filter(user__department=department)
    if status == "completed":
        assignments = assignments.filter(status=Assignment.Status.COMPLETED)
    elif status == "pending":
        assignments = assignments.filter(
            status=Assignment.Status.PENDING, grace_until__gte=today
        )
    elif status == "overdue":
        assignments = assignments.filter(
            status=Assignment.Status.PENDING, grace_until__lt=today
        )
    return assignments.select_related("user", "user__manager", "version").order_by(
        "user_id", "version_id"
    )


def summary(scope, campaign=None, today=None):
    """Return totals and completion per campaign, policy and department.

    Four aggregate queries, cached for ``POLICYHUB_DASHBOARD_CACHE_SECONDS``
    (0 turns caching off) per scope, campaign and day, so repeated views of a
    large organisation do not rescan every assignment.
    """
    today = today or timezone.localdate()
    seconds = getattr(settings, "POLICYHUB_DASHBOARD_CACHE_SECONDS", 60)
    key = (
        f"campaign-dashboard:{scope.everyone}:{scope.manager_id}:"
        f"{campaign.pk if campaign else 'all'}:{today.isoformat()}"
    )
    if seconds:
        cached = cache.get(key)
        if cached is not None:
            return cached
    assignments = counted_assignments(scope, campaign)
    result = {
        "as_of": timezone.now(),
        "totals": totals(assignments, today),
        "campaigns": [] if campaign else by_campaign(assignments, today),
        "policies": by_policy(assignments, today),
        "departments": by_department(assignments, today),
    }
    if seconds:
        cache.set(key, result, seconds)
    return result


class SeekPage:
    """One page of a queryset, read with LIMIT page size + 1 and no COUNT.

    Counting every overdue row of a large campaign costs as much as reading
    them, so pages only know whether a next page exists.
    """

    def __init__(self, queryset, number, size):
        try:
            self.number = max(1, int(number or 1))
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.object_list = rows[:size]
        self.has_next = len(rows) > size
        self.has_previous = self.number > 1
        self.next_page_number = self.number + 1
        self.previous_page_number = self.number - 1
        self.start_index = start + 1 if self.object_list else 0
        self.end_index = start + len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)
