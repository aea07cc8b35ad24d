"""Quarter labels such as "2026 Q4" and the default due date of a review."""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError

PERIOD_PATTERN = re.compile(r"^(\d{4}) Q([1-4])$")


def parse_period(label):
    """Return (year, quarter) of ``label``, or raise ValidationError."""
    match = PERIOD_PATTERN.match((label or "").strip())
    if not match:
        raise ValidationError(
            f'The period {label!r} is invalid; write the year and quarter as "2026 Q4".'
        )
    return int(match.group(1)), int(match.group(2))


def period_label(year, quarter):
    return f"{year} Q{quarter}"


def quarter_of(day):
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter_label(day):
    """Return the label of the quarter that ended before the one containing ``day``."""
    year, quarter = quarter_of(day)
    if quarter == 1:
        return period_label(year - 1, 4)
    return period_label(year, quarter - 1)


def quarter_end(label):
    year, quarter = parse_period(label)
    if quarter == 4:
        return datetime.date(year, 12, 31)
    return datetime.date(year, 3 * quarter + 1, 1) - datetime.timedelta(days=1)


def add_business_days(day, count):
    """Return the date ``count`` working days (Monday to Friday) after ``day``.

    Public holidays are not known to PolicyHub, so they count as working days.
    """
    while count > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def default_due_date(label):
    """Return the due date of a review of ``label``: the configured number of
    business days after the quarter ends."""
    days = settings.POLICYHUB_ACCESS_REVIEW_DUE_BUSINESS_DAYS
    return add_business_days(quarter_end(label), days)
