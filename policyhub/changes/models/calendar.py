"""Maintenance windows and blackout (freeze) periods on the change calendar."""

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from .catalogue import System


class TimeRange(models.Model):
    name = models.CharField(max_length=150)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    systems = models.ManyToManyField(
        System, blank=True, related_name="+",
        help_text="Leave empty to cover every system.",
    )

    class Meta:
        abstract = True
        ordering = ["starts_at"]

    def __str__(self):
        return f"{self.name} ({self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M})"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must be after the start."})


class MaintenanceWindow(TimeRange):
    """A period agreed with the business for making changes."""

    history = HistoricalRecords()

    class Meta(TimeRange.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="maintenance_window_ends_after_start",
            )
        ]


class BlackoutPeriod(TimeRange):
    """A freeze in which only emergency changes may be scheduled."""

    reason = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta(TimeRange.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="blackout_period_ends_after_start",
            )
        ]
