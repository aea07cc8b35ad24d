"""Month and list views of scheduled changes, maintenance windows and blackouts."""

import calendar
import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from ..models import BlackoutPeriod, MaintenanceWindow
from ..models.change import OCCUPYING
from ..permissions import visible_changes


def _month(request):
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        month = int(request.GET.get("month", today.month))
        first = datetime.date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    return first


def _range(first):
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return last, start, end


def calendar_entries(user, start, end):
    """Return (changes, windows, blackouts) that overlap [start, end)."""
    changes = visible_changes(user).filter(
        state__in=[*OCCUPYING, "implemented"], planned_start__lt=end, planned_end__gt=start
    ).prefetch_related("systems").order_by("planned_start")
    windows = MaintenanceWindow.objects.filter(starts_at__lt=end, ends_at__gt=start)
    blackouts = BlackoutPeriod.objects.filter(starts_at__lt=end, ends_at__gt=start)
    return list(changes), list(windows.prefetch_related("systems")), list(
        blackouts.prefetch_related("systems")
    )


def _on_day(items, day, start_field="starts_at", end_field="ends_at"):
    return [
        item for item in items
        if timezone.localtime(getattr(item, start_field)).date() <= day
        <= timezone.localtime(getattr(item, end_field)).date()
    ]


@login_required
def month_view(request):
    first = _month(request)
    last, start, end = _range(first)
    changes, windows, blackouts = calendar_entries(request.user, start, end)
    weeks = []
    for week in calendar.Calendar().monthdatescalendar(first.year, first.month):
        weeks.append([
            {
                "day": day,
                "in_month": day.month == first.month,
                "changes": _on_day(changes, day, "planned_start", "planned_end"),
                "windows": _on_day(windows, day),
                "blackouts": _on_day(blackouts, day),
            }
            for day in week
        ])
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = last + datetime.timedelta(days=1)
    return render(request, "changes/calendar_month.html", {
        "first": first, "weeks": weeks, "previous": previous, "following": following,
    })


@login_required
def list_view(request):
    first = _month(request)
    last, start, end = _range(first)
    changes, windows, blackouts = calendar_entries(request.user, start, end)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = last + datetime.timedelta(days=1)
    return render(request, "changes/calendar_list.html", {
        "first": first, "changes": changes, "windows": windows, "blackouts": blackouts,
        "previous": previous, "following": following,
    })
