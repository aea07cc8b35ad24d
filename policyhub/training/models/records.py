"""Training rules, assignments, lesson progress, quiz attempts and completions."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .pages import TrainingModulePage


class TrainingRule(models.Model):
    """Assigns a module to everyone, to the members of a group (a role) or to one user."""

    class Target(models.TextChoices):
        EVERYONE = "everyone", "Every active person"
        GROUP = "group", "Members of a group or role"
        USER = "user", "One person"

    module = models.ForeignKey(TrainingModulePage, on_delete=models.CASCADE, related_name="rules")
    target = models.CharField(max_length=10, choices=Target.choices)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )
    due_date = models.DateField(
        null=True, blank=True,
        help_text="Due date for the people assigned when the rule is created.",
    )
    due_in_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days to complete for people assigned later: new joiners, new "
        "group members and renewals.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="training_rule_target_matches",
                condition=(
                    Q(target="everyone", group__isnull=True, user__isnull=True)
                    | Q(target="group", group__isnull=False, user__isnull=True)
                    | Q(target="user", group__isnull=True, user__isnull=False)
                ),
            ),
        ]

    def __str__(self):
        audience = self.group or self.user or "everyone"
        return f"{self.module} for {audience}"


class TrainingAssignment(models.Model):
    """One person's obligation to hold a valid completion of one module.

    A single row per person and module: when a completion's validity lapses
    the row reopens with the next ``cycle``, and the completions of earlier
    cycles stay in ``TrainingCompletion``.
    """

    class Status(models.TextChoices):
        OPEN = "open", "To do"
        COMPLETED = "completed", "Completed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_assignments"
    )
    module = models.ForeignKey(
        TrainingModulePage, on_delete=models.CASCADE, related_name="assignments"
    )
    rule = models.ForeignKey(TrainingRule, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    cycle = models.PositiveIntegerField(default=1)
    due_date = models.DateField()
    assigned_at = models.DateTimeField(auto_now_add=True)
    valid_until = models.DateField(null=True, blank=True)
    attempts_exhausted_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the last allowed attempt of this cycle failed; the line "
        "manager sees the flag.",
    )
    extra_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Attempts granted beyond the module's maximum in this cycle."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "module__title"]
        constraints = [
            models.UniqueConstraint(fields=["user", "module"], name="training_one_assignment")
        ]

    def __str__(self):
        return f"{self.module} for user {self.user_id} (cycle {self.cycle})"

    @property
    def attempts_allowed(self):
        return self.module.max_attempts + self.extra_attempts

    def is_overdue(self, today):
        return self.status == self.Status.OPEN and self.due_date < today


class DueDateExtension(models.Model):
    """A later due date granted to one person, with the reason."""

    assignment = models.ForeignKey(
        TrainingAssignment, on_delete=models.CASCADE, related_name="extensions"
    )
    cycle = models.PositiveIntegerField()
    previous_due_date = models.DateField()
    new_due_date = models.DateField()
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-granted_at"]

    def __str__(self):
        return f"Extension of assignment {self.assignment_id} to {self.new_due_date}"


class LessonProgress(models.Model):
    """A lesson that a person finished in one cycle of an assignment."""

    assignment = models.ForeignKey(
        TrainingAssignment, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    cycle = models.PositiveIntegerField()
    lesson_id = models.CharField(max_length=64)
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "cycle", "lesson_id"], name="training_lesson_once"
            )
        ]

    def __str__(self):
        return f"Lesson {self.lesson_id} of assignment {self.assignment_id}"


class QuizAttempt(models.Model):
    """One quiz attempt: the questions drawn when it started, the page
    revision they came from, and once submitted the answers and score."""

    assignment = models.ForeignKey(
        TrainingAssignment, on_delete=models.CASCADE, related_name="attempts"
    )
    cycle = models.PositiveIntegerField()
    number = models.PositiveSmallIntegerField()
    revision = models.ForeignKey(
        "wagtailcore.Revision", on_delete=models.PROTECT, related_name="+"
    )
    question_ids = models.JSONField()
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    correct_count = models.PositiveSmallIntegerField(null=True, blank=True)
    score_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True)

    class Meta:
        ordering = ["cycle", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "cycle", "number"], name="training_attempt_number"
            ),
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(submitted_at__isnull=True),
                name="training_one_open_attempt",
            ),
        ]

    def __str__(self):
        return f"Attempt {self.number} of assignment {self.assignment_id}, cycle {self.cycle}"

    @property
    def is_submitted(self):
        return self.submitted_at is not None


class TrainingCompletion(models.Model):
    """A passed cycle of an assignment, kept for every cycle, with its certificate."""

    assignment = models.ForeignKey(
        TrainingAssignment, on_delete=models.PROTECT, related_name="completions"
    )
    cycle = models.PositiveIntegerField()
    attempt = models.OneToOneField(QuizAttempt, on_delete=models.PROTECT, related_name="completion")
    completed_at = models.DateTimeField()
    score_percent = models.PositiveSmallIntegerField()
    valid_until = models.DateField()
    certificate = models.FileField(upload_to="training/certificates/%Y/%m/", blank=True)
    certificate_issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-completed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "cycle"], name="training_one_completion_per_cycle"
            )
        ]

    def __str__(self):
        return f"Completion of assignment {self.assignment_id}, cycle {self.cycle}"
