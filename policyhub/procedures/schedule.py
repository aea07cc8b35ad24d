"""Schedule periods of a procedure, computed in the site's time zone.

Each scheduled run belongs to one period, named by a period key: ``2026-03``
(monthly), ``2026-Q1`` (quarterly), ``2026`` (annually) or
``cron:2026-03-02T06:00`` (the cron occurrence's local wall-clock time). The
database allows one run per procedure and period key, so duplicated beat
ticks, restarts and retries create one run per period.

Keys use local time (``TIME_ZONE``), so a run belongs to the local calendar
month even when the UTC date differs. When clocks go back, a cron time that
occurs twice (01:30 BST, then 01:30 GMT) has one key and so one run. When
clocks go forward, croniter moves a skipped time to the first valid minute
after the gap (02:00 BST for 01:30), which also yields one run.
"""

import datetime
from dataclasses import dataclass

from croniter import croniter
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models.pages import Schedule

CRON_FIELDS = 5


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime.datetime
    end: datetime.datetime

    @property
    def start_date(self):
        return timezone.localdate(self.start)


def validate_cron(expression):
    """Raise ValidationError unless ``expression`` is a five-field cron expression."""
    fields = (expression or "").split()
    if len(fields) != CRON_FIELDS or not croniter.is_valid(" ".join(fields)):
        raise ValidationError(
            {
                "schedule_cron": f"Cron expression {expression!r} is not valid; use five "
                "fields (minute hour day-of-month month day-of-week), e.g. '0 6 1 * *' "
                "for 06:00 on the first of each month."
            }
        )


def validate_schedule(schedule, cron):
    if schedule not in Schedule.values:
        raise ValidationError(
            {
                "schedule": f"Schedule {schedule!r} is not valid; use one of "
                f"{', '.join(v for v in Schedule.values if v)}, or leave it empty."
            }
        )
    if schedule == Schedule.CRON:
        validate_cron(cron)
    elif cron:
        raise ValidationError(
            {
                "schedule_cron": f"A cron expression ({cron!r}) is set but the schedule is "
                f"{schedule or 'on demand'!r}; choose 'cron' or clear the expression."
            }
        )


def _midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _calendar_period(schedule, local):
    if schedule == Schedule.MONTHLY:
        first = local.date().replace(day=1)
        return f"{first:%Y-%m}", first, first + relativedelta(months=1)
    if schedule == Schedule.QUARTERLY:
        quarter = (local.month - 1) // 3 + 1
        first = datetime.date(local.year, 3 * quarter - 2, 1)
        return f"{local.year}-Q{quarter}", first, first + relativedelta(months=3)
    first = datetime.date(local.year, 1, 1)
    return f"{local.year}", first, first + relativedelta(years=1)


def period_at(schedule, cron, now):
    """Return the Period that contains ``now``, or None for on-demand procedures."""
    local = timezone.localtime(now)
    if schedule == Schedule.ON_DEMAND:
        return None
    if schedule == Schedule.CRON:
        # croniter returns occurrences strictly before its start, so start one
        # minute after the current one to include an occurrence at this minute.
        after = local.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
        occurrence = croniter(cron, after).get_prev(datetime.datetime)
        following = croniter(cron, occurrence).get_next(datetime.datetime)
        key = f"cron:{occurrence.replace(tzinfo=None).isoformat(timespec='minutes')}"
        return Period(key, occurrence, following)
    key, first, after_last = _calendar_period(schedule, local)
    return Period(key, _midnight(first), _midnight(after_last))
