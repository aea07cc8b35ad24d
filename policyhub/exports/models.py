from django.db import models

from ..policies.models.versions import ImmutableModel


def signed_pdf_path(instance, filename):
    return f"signed-pdfs/{instance.version.policy.slug}/{filename}"


class SignedPolicyPdf(ImmutableModel):
    """The signed PDF of a policy version, produced once and kept unchanged."""

    version = models.OneToOneField(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="signed_pdf"
    )
    file = models.FileField(upload_to=signed_pdf_path)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_task = models.CharField(
        max_length=200, blank=True, help_text="Celery task id, or the command that made it."
    )

    def __str__(self):
        return f"Signed PDF of {self.version}"

    @property
    def filename(self):
        return f"{self.version.policy.slug}-v{self.version.label}-signed.pdf"


def evidence_pack_path(instance, filename):
    return f"evidence-packs/{instance.created_at:%Y/%m}/{filename}"


class EvidencePack(models.Model):
    """A ZIP of signed evidence for a period, built by a Celery task.

    The row tracks the build's progress, so it changes while the task runs;
    requests, builds and downloads are recorded in the audit trail instead of
    django-simple-history.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="evidence_packs"
    )
    request_token = models.UUIDField(
        unique=True, help_text="Form token: a repeated submission finds this pack."
    )
    period_start = models.DateField()
    period_end = models.DateField()
    policy_slugs = models.JSONField(default=list, blank=True)
    campaign_ids = models.JSONField(
        default=list, blank=True, help_text="Campaigns chosen; empty for those active in the period."
    )
    training_module_ids = models.JSONField(
        default=list, blank=True, help_text="Training modules chosen; empty for every assigned one."
    )
    include_audit = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=evidence_pack_path, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last progress report of the running build."
    )
    built_by = models.CharField(max_length=200, blank=True, help_text="Task that built it.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Evidence pack {self.pk} ({self.period_start} to {self.period_end})"

    @property
    def filename(self):
        return f"evidence-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}-{self.pk}.zip"
