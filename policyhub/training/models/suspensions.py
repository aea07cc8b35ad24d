"""Suspension of access to Confidential information while annual training is
long overdue."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class AccessSuspension(models.Model):
    """A period in which a person may not open Confidential information.

    At most one suspension per person is in force (``lifted_at`` empty); the
    lifted ones stay as the record.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_suspensions"
    )
    started_at = models.DateTimeField()
    reason = models.TextField()
    modules = models.ManyToManyField(
        "training.TrainingModulePage",
        related_name="+",
        help_text="The overdue modules that caused the suspension.",
    )
    started_by = models.CharField(max_length=200, help_text="Task or person that suspended.")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_reason = models.TextField(blank=True)
    lifted_by = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(lifted_at__isnull=True),
                name="training_one_suspension_in_force",
            )
        ]

    def __str__(self):
        return f"Suspension of user {self.user_id} from {self.started_at:%Y-%m-%d}"

    @property
    def in_force(self):
        return self.lifted_at is None
