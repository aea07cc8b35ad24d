"""Training rules, assignments, lesson progress, quiz attempts and completions."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .pages import TrainingModulePage


class TrainingRule(models.Model):
    """Assigns a module to everyone, to a department, to the members of a
    group (a role) or to one user.

    A retired rule assigns nobody new; ``retire_rule`` cancels the open
    assignments that no other active rule covers.
    """

    class Target(models.TextChoices):
        EVERYONE = "everyone", "Every active person"
        DEPARTMENT = "department", "Everyone in a department"
        GROUP = "group", "Members of a group or role"
        USER = "user", "One person"

    class RunStatus(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Assigning"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    module = models.ForeignKey(TrainingModulePage, on_delete=models.CASCADE, related_name="rules")
    target = models.CharField(max_length=10, choices=Target.choices)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="+",
    )
    department = models.CharField(
        max_length=150, blank=True,
        help_text="Department name exactly as on the people's accounts.",
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
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    retired_reason = models.TextField(blank=True)
    run_status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED,
        help_text="State of the background task that assigns the rule's current members.",
    )
    run_assigned = models.PositiveIntegerField(
        default=0, help_text="Assignments the last run created or reopened."
    )
    run_finished_at = models.DateTimeField(null=True, blank=True)
    run_error = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="training_rule_target_matches",
                condition=(
                    Q(target="everyone", group__isnull=True, user__isnull=True, department="")
                    | Q(target="group", group__isnull=False, user__isnull=True, department="")
                    | Q(target="user", group__isnull=True, user__isnull=False, department="")
                    | Q(target="department", group__isnull=True, user__isnull=True)
                    & ~Q(department="")
                ),
            ),
        ]

    def __str__(self):
        return f"{self.module} for {self.audience}"

    @property
    def audience(self):
        if self.target == self.Target.DEPARTMENT:
            return f"department {self.department}"
        if self.target == self.Target.GROUP:
            return f"group {self.group}"
        if self.target == self.Target.USER:
            return str(self.user)
        return "everyone"

    @property
    def is_active(self):
        return self.retired_at is None


class TrainingAssignment(models.Model):
    """One person's obligation to hold a valid completion of one module.

    A single row per person and module: when a completion's validity lapses
    the row reopens with the next ``cycle``, and the completions of earlier
    cycles stay in ``TrainingCompletion``.
    """

    class Status(models.TextChoices):
        OPEN = "open", "To do"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "No longer required"

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
    recurring = models.BooleanField(
        default=True,
        help_text="Reopen when the completion's validity ends. Follow-up training "
        "after a failed phishing exercise is assigned once and does not recur.",
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

    def start_new_cycle(self, due_date):
        """Reopen the assignment as the next cycle, with fresh attempts; the
        caller saves it."""
        self.status = self.Status.OPEN
        self.cycle += 1
        self.due_date = due_date
        self.attempts_exhausted_at = None
        self.extra_attempts = 0


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
