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
