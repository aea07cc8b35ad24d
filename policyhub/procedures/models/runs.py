"""Runs of a procedure: one per schedule period or manual start, with evidence."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ...policies.models.versions import ImmutableModel
from .pages import EvidenceKind


class ProcedureRun(models.Model):
    """One performance of a procedure's published version."""

    class Status(models.TextChoices):
        OPEN = "open", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        AWAITING_SIGN_OFF = "awaiting_sign_off", "Awaiting sign-off"
        COMPLETED = "completed", "Completed"

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", "Schedule"
        MANUAL = "manual", "Started by hand"

    ACTIVE = (Status.OPEN, Status.IN_PROGRESS)

    procedure = models.ForeignKey(
        "procedures.ProcedurePage", on_delete=models.PROTECT, related_name="runs"
    )
    version = models.ForeignKey(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="procedure_runs"
    )
    period_key = models.CharField(
        max_length=64,
        help_text="Schedule period (e.g. 2026-03, 2026-Q1) or 'manual:' and the "
        "request token of a run started by hand.",
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    reason = models.TextField(blank=True, help_text="Why a run was started by hand.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="procedure_runs",
    )
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(db_index=True)
    sign_off_group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Copied from the procedure when the run is created.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_comment = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "period_key"], name="one_run_per_procedure_period"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return f"{self.version.title} run {self.period_key}"

    @property
    def is_finished(self):
        return self.status == self.Status.COMPLETED

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.status in self.ACTIVE and self.due_date < today

    def is_missed(self, now=None):
        """Return whether the run's period ended before the run was completed."""
        now = now or timezone.now()
        return self.status in self.ACTIVE and self.period_end is not None and self.period_end <= now


class RunStep(models.Model):
    """A step of a run, copied from the version the run performs."""

    run = models.ForeignKey(ProcedureRun, on_delete=models.PROTECT, related_name="steps")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    evidence_kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="unique_run_step_number"),
        ]

    def __str__(self):
        return f"Step {self.number}: {self.title}"

    @property
    def needs_evidence(self):
        return self.evidence_kind != EvidenceKind.NONE


def evidence_path(instance, filename):
    return f"procedures/{timezone.now():%Y/%m}/{instance.sha256[:16]}-{filename}"


class StepEvidence(ImmutableModel):
    """Evidence given for a step. Never changed: a correction is a new record."""

    step = models.ForeignKey(RunStep, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    note = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    confirmed = models.BooleanField(default=False)
    file = models.FileField(upload_to=evidence_path, blank=True, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of the file, or of the note, link or confirmation."
    )
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    provided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["step", "provided_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.step}"

    @property
    def summary(self):
        if self.kind == EvidenceKind.FILE:
            return f"{self.original_name} ({self.size_bytes:,} bytes)"
        if self.kind == EvidenceKind.LINK:
            return self.url
        if self.kind == EvidenceKind.CHECKBOX:
            return "Confirmed"
        return self.note


def signed_run_pdf_path(instance, filename):
    return f"procedure-runs/{filename}"


class SignedRunPdf(ImmutableModel):
    """The signed PDF record of a finished run, made once per run."""

    run = models.OneToOneField(ProcedureRun, on_delete=models.PROTECT, related_name="signed_pdf")
    file = models.FileField(upload_to=signed_run_pdf_path)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by_task = models.CharField(max_length=200, blank=True)

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1]
