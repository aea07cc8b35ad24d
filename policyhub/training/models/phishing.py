"""Simulated phishing exercises, their imported results and the follow-up
training assigned to the people who failed."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from .pages import TrainingModulePage
from .records import TrainingAssignment


class PhishingExercise(models.Model):
    """One simulated phishing campaign sent by the phishing simulation tool."""

    name = models.CharField(max_length=200, unique=True)
    sent_on = models.DateField(help_text="Date the simulated emails were sent.")
    theme = models.CharField(
        max_length=200, help_text="Template or theme of the email, e.g. 'Parcel delivery'."
    )
    followup_module = models.ForeignKey(
        TrainingModulePage,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="follow-up module",
        help_text="Module assigned to everyone who clicked or submitted credentials.",
    )
    followup_due_in_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        verbose_name="follow-up due in days",
        help_text="Days from the import to complete the follow-up module.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-sent_on", "name"]

    def __str__(self):
        return f"{self.name} ({self.sent_on:%d %b %Y})"


class PhishingImport(models.Model):
    """One accepted results file; the same file twice is one import."""

    exercise = models.ForeignKey(PhishingExercise, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    results_created = models.PositiveIntegerField()
    results_changed = models.PositiveIntegerField()
    followups_assigned = models.PositiveIntegerField()
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "file_sha256"], name="training_phishing_file_once"
            )
        ]

    def __str__(self):
        return f"{self.file_name} for exercise {self.exercise_id}"


class PhishingResult(models.Model):
    """The actions of one person on the simulated email of one exercise."""

    exercise = models.ForeignKey(PhishingExercise, on_delete=models.PROTECT, related_name="results")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="phishing_results"
    )
    clicked = models.BooleanField()
    reported = models.BooleanField()
    submitted_credentials = models.BooleanField()
    source = models.ForeignKey(
        PhishingImport,
        on_delete=models.PROTECT,
        related_name="results",
        help_text="The import that last set these values.",
    )
    followup_assignment = models.ForeignKey(
        TrainingAssignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    followup_assigned_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["exercise", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "user"], name="training_phishing_one_result"
            )
        ]

    def __str__(self):
        return f"Result of user {self.user_id} in exercise {self.exercise_id}"

    @property
    def failed(self):
        """Clicking the link or submitting credentials fails the exercise."""
        return self.clicked or self.submitted_credentials
