"""Attestation campaigns, the assignments they create, and due-date extensions."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ...policies.models.versions import ImmutableModel


class Audience(models.TextChoices):
    ALL = "all", "All active employees"
    GROUPS = "groups", "Members of groups"
    DEPARTMENTS = "departments", "Departments"
    USERS = "users", "Listed people"


class CampaignQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Campaign.Status.OPEN)


class Campaign(models.Model):
    """A request that an audience acknowledges one or more policy versions by a date."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LAUNCHING = "launching", "Launching"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Kind(models.TextChoices):
        MANUAL = "manual", "Launched by a compliance admin"
        REATTESTATION = "reattestation", "Major version re-attestation"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MANUAL)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    versions = models.ManyToManyField(
        "policies.PolicyVersion", related_name="campaigns",
        help_text="Policy versions everyone in the audience must acknowledge.",
    )
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.ALL)
    audience_groups = models.ManyToManyField(Group, blank=True, related_name="+")
    audience_departments = models.JSONField(
        default=list, blank=True, help_text="Department names, for a departments audience."
    )
    audience_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    due_date = models.DateField()
    grace_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days after the due date before an assignment counts as overdue."
    )
    source_version = models.OneToOneField(
        "policies.PolicyVersion", on_delete=models.PROTECT, null=True, blank=True,
        related_name="reattestation_campaign",
        help_text="The major version whose publication started this campaign.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    request_token = models.UUIDField(
        null=True, blank=True, unique=True, editable=False,
        help_text="The launch form's token: a second submission of one form launches nothing.",
    )

    objects = CampaignQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class Assignment(models.Model):
    """One person's obligation to acknowledge one policy version in a campaign.

    ``cycle`` counts periodic re-attestations: reopening an assignment starts
    the next cycle, and the earlier completion stays in the history rows.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        SUPERSEDED = "superseded", "Superseded by a later major version"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    version = models.ForeignKey(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_date = models.DateField()
    grace_until = models.DateField(
        help_text="Last day before the assignment is overdue: the due date plus grace."
    )
    cycle = models.PositiveIntegerField(default=1)
    acknowledgement = models.ForeignKey(
        "attestations.Acknowledgement", on_delete=models.PROTECT, null=True, blank=True,
        related_name="assignments",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user", "version"],
                name="one_assignment_per_campaign_user_version",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "grace_until"]),
            models.Index(fields=["user", "status"]),
            models.Index(fields=["status", "grace_until", "id"]),
        ]

    def __str__(self):
        return f"{self.version} for user {self.user_id} ({self.status})"

    def days_overdue(self, today=None):
        today = today or timezone.localdate()
        return max(0, (today - self.grace_until).days)


class DueDateExtension(ImmutableModel):
    """A recorded change of one person's due date, with the reason given."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="extensions"
    )
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


class CampaignJob(models.Model):
    """Progress of a long-running campaign task, shown while the user waits."""

    class Kind(models.TextChoices):
        LAUNCH = "launch", "Launch"
        EXPORT_CSV = "csv", "CSV export"
        EXPORT_XLSX = "xlsx", "Excel export"
        EXPORT_PDF = "pdf", "Signed PDF report"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="campaign-exports/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} of campaign {self.campaign_id} ({self.status})"

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, round(100 * self.done / self.total))

    @property
    def finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
