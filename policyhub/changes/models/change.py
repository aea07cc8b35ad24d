"""Change requests, their life cycle and their attachments.

The ``state`` field is a django-fsm-2 field: it changes only through the
transition methods below, each of which names the states it may start from.
Call them through ``policyhub.changes.services``, which checks permission,
saves, records history and the audit event, and notifies.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from .. import permissions
from ..risk import Rating, RiskLevel, risk_level
from .catalogue import ChangeCategory, StandardChangeTemplate, System


class ChangeType(models.TextChoices):
    STANDARD = "standard", "Standard (pre-approved template)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ASSESSMENT = "assessment", "Assessment"
    CAB_REVIEW = "cab_review", "CAB review"
    MORE_INFORMATION = "more_information", "More information requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"
    REVIEW = "review", "Post-implementation review"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# States in which a change can still be cancelled: everything before work starts.
CANCELLABLE = [
    State.DRAFT, State.SUBMITTED, State.ASSESSMENT, State.CAB_REVIEW,
    State.MORE_INFORMATION, State.APPROVED, State.SCHEDULED,
]
# States that hold a slot on the calendar and so can conflict with another change.
OCCUPYING = [
    State.SUBMITTED, State.ASSESSMENT, State.CAB_REVIEW, State.APPROVED,
    State.SCHEDULED, State.IN_PROGRESS,
]
IMPLEMENTATION_ENDED = [State.IMPLEMENTED, State.FAILED, State.ROLLED_BACK]


class CloseCode(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues", "Successful with issues"
    UNSUCCESSFUL = "unsuccessful", "Unsuccessful"
    ROLLED_BACK = "rolled_back", "Rolled back"


def is_standard(change):
    return change.change_type == ChangeType.STANDARD


def is_normal(change):
    return change.change_type == ChangeType.NORMAL


def is_emergency(change):
    return change.change_type == ChangeType.EMERGENCY


def is_not_standard(change):
    return change.change_type != ChangeType.STANDARD


def has_implementer(change):
    return change.implementer_id is not None


def retrospective_done_if_emergency(change):
    return not is_emergency(change) or change.retrospective_completed_at is not None


class ChangeRequestQuerySet(models.QuerySet):
    def retrospective_overdue(self, today=None):
        """Emergency changes whose after-the-event CAB review is late."""
        today = today or timezone.localdate()
        return self.filter(
            change_type=ChangeType.EMERGENCY,
            retrospective_due_on__lt=today,
            retrospective_completed_at__isnull=True,
        ).exclude(state=State.CANCELLED)


class ChangeRequest(ConcurrentTransitionMixin, models.Model):
    """A request to change a production system, from draft to closure."""

    title = models.CharField(max_length=200)
    description = models.TextField()
    justification = models.TextField(help_text="What happens if the change is not made.")
    change_type = models.CharField(
        "type", max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    template = models.ForeignKey(
        StandardChangeTemplate, on_delete=models.PROTECT, null=True, blank=True,
        related_name="changes", help_text="Required for standard changes.",
    )
    systems = models.ManyToManyField(System, related_name="changes", verbose_name="affected systems")
    policy_versions = models.ManyToManyField(
        "policies.PolicyVersion", blank=True, related_name="changes",
        verbose_name="linked policy versions",
    )
    category = models.ForeignKey(ChangeCategory, on_delete=models.PROTECT, null=True, blank=True)
    impact = models.CharField(max_length=10, choices=Rating.choices)
    likelihood = models.CharField(max_length=10, choices=Rating.choices)
    risk = models.CharField(
        max_length=10, choices=RiskLevel.choices, editable=False,
        help_text="Computed from impact and likelihood by the risk matrix.",
    )
    implementation_plan = models.TextField()
    rollback_plan = models.TextField()
    test_plan = models.TextField()
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_changes"
    )
    implementer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="implemented_changes",
    )

    state = FSMField(default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    review_round = models.PositiveIntegerField(
        default=0, help_text="Number of CAB review rounds opened so far."
    )
    conflict_summary = models.TextField(
        blank=True, help_text="Overlapping changes and blackouts found at the last check."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    implemented_at = models.DateTimeField(null=True, blank=True)
    retrospective_due_on = models.DateField(null=True, blank=True)
    retrospective_completed_at = models.DateTimeField(null=True, blank=True)
    retrospective_outcome = models.CharField(
        max_length=10, blank=True, help_text="The full CAB's decision on an emergency change."
    )
    close_code = models.CharField(max_length=30, choices=CloseCode.choices, blank=True)
    close_notes = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[systems, policy_versions])
    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("planned_start")),
                name="change_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="closed")
                | (~models.Q(close_code="") & ~models.Q(close_notes="")),
                name="closed_change_has_code_and_notes",
            ),
            models.CheckConstraint(
                condition=~models.Q(change_type="standard") | models.Q(template__isnull=False),
                name="standard_change_has_template",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def save(self, *args, **kwargs):
        self.risk = risk_level(self.impact, self.likelihood)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "risk", "updated_at"}
        super().save(*args, **kwargs)

    @property
    def reference(self):
        return f"CHG-{self.pk:06d}" if self.pk else "CHG-new"

    @property
    def retrospective_overdue(self):
        return (
            self.change_type == ChangeType.EMERGENCY
            and self.retrospective_due_on is not None
            and self.retrospective_completed_at is None
            and self.state != State.CANCELLED
            and self.retrospective_due_on < timezone.localdate()
        )

    @property
    def is_editable(self):
        return self.state in (State.DRAFT, State.MORE_INFORMATION)

    # Transitions. Each body records only what the state itself implies;
    # services.py does the saving, auditing and notifying.

    @transition(
        field=state, source=[State.DRAFT, State.MORE_INFORMATION], target=State.SUBMITTED,
        permission=permissions.is_requester,
    )
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(
        field=state, source=State.SUBMITTED, target=State.ASSESSMENT,
        conditions=[is_normal], permission=permissions.is_change_manager,
    )
    def assess(self):
        pass

    @transition(
        field=state, source=State.ASSESSMENT, target=State.CAB_REVIEW,
        conditions=[is_normal], permission=permissions.is_change_manager,
    )
    @transition(
        field=state, source=State.SUBMITTED, target=State.CAB_REVIEW,
        conditions=[is_emergency], permission=permissions.is_change_manager,
    )
    def send_to_cab(self):
        self.review_round += 1

    @transition(
        field=state, source=[State.ASSESSMENT, State.CAB_REVIEW, State.APPROVED],
        target=State.MORE_INFORMATION, conditions=[is_not_standard],
        permission=permissions.is_change_manager,
    )
    def request_information(self):
        pass

    @transition(
        field=state, source=State.CAB_REVIEW, target=State.APPROVED,
        permission=permissions.is_board_decision,
    )
    def approve(self):
        self.decided_at = timezone.now()

    @transition(
        field=state, source=State.CAB_REVIEW, target=State.REJECTED,
        permission=permissions.is_board_decision,
    )
    def reject(self):
        self.decided_at = timezone.now()

    @transition(
        field=state, source=State.APPROVED, target=State.SCHEDULED,
        conditions=[has_implementer], permission=permissions.is_change_manager,
    )
    @transition(
        field=state, source=State.SUBMITTED, target=State.SCHEDULED,
        conditions=[is_standard, has_implementer], permission=permissions.is_change_manager,
    )
    def schedule(self):
        pass

    @transition(
        field=state, source=State.SCHEDULED, target=State.IN_PROGRESS,
        permission=permissions.is_implementer,
    )
    def start(self):
        pass

    @transition(
        field=state, source=State.IN_PROGRESS, target=State.IMPLEMENTED,
        permission=permissions.is_implementer,
    )
    def complete(self):
        self._end_implementation()

    @transition(
        field=state, source=State.IN_PROGRESS, target=State.FAILED,
        permission=permissions.is_implementer,
    )
    def fail(self):
        self._end_implementation()

    @transition(
        field=state, source=[State.IN_PROGRESS, State.FAILED], target=State.ROLLED_BACK,
        permission=permissions.is_implementer,
    )
    def roll_back(self):
        self._end_implementation()

    @transition(
        field=state, source=IMPLEMENTATION_ENDED, target=State.REVIEW,
        permission=permissions.is_involved_or_change_manager,
    )
    def begin_review(self):
        if is_emergency(self):
            # The retrospective review by the full CAB is a review round of its own.
            self.review_round += 1

    @transition(
        field=state, source=State.REVIEW, target=State.CLOSED,
        conditions=[retrospective_done_if_emergency],
        permission=permissions.is_change_manager,
    )
    def close(self, code, notes):
        self.close_code = code
        self.close_notes = notes
        self.closed_at = timezone.now()

    @transition(
        field=state, source=CANCELLABLE, target=State.CANCELLED,
        permission=permissions.is_requester_or_change_manager,
    )
    def cancel(self):
        pass

    def _end_implementation(self):
        self.implemented_at = timezone.now()
        if is_emergency(self):
            days = settings.CHANGES_EMERGENCY_REVIEW_DAYS
            self.retrospective_due_on = timezone.localdate() + datetime.timedelta(days=days)


class ChangeAttachment(models.Model):
    """A file attached to a change, such as test evidence; checked on upload."""

    change = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="changes/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name
