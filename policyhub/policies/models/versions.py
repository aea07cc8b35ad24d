"""Immutable records of published policy versions and their approvals."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models


class ChangeType(models.TextChoices):
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class ImmutableQuerySet(models.QuerySet):
    """Reject bulk updates and deletes, which would bypass save() and delete()."""

    def update(self, **kwargs):
        raise PermissionDenied(f"{self.model.__name__} records cannot be changed.")

    def delete(self):
        raise PermissionDenied(f"{self.model.__name__} records cannot be deleted.")

    _raw_delete = delete


class ImmutableModel(models.Model):
    """A record that may be created once and never changed or deleted."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied(
                f"{type(self).__name__} {self.pk} is immutable and cannot be changed."
            )
        kwargs["force_insert"] = True
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(
            f"{type(self).__name__} {self.pk} is immutable and cannot be deleted."
        )


class PolicyVersion(ImmutableModel):
    """A published, approved version of a policy, frozen at publication."""

    policy = models.ForeignKey(
        "policies.PolicyPage", on_delete=models.PROTECT, related_name="versions"
    )
    revision = models.OneToOneField(
        "wagtailcore.Revision", on_delete=models.PROTECT, related_name="policy_version"
    )
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    change_type = models.CharField(max_length=5, choices=ChangeType.choices)
    change_summary = models.TextField()
    title = models.CharField(max_length=255)
    owner_role = models.CharField(max_length=150)
    approver_group_name = models.CharField(max_length=150)
    classification = models.CharField(max_length=20)
    effective_date = models.DateField()
    next_review_date = models.DateField()
    html_snapshot = models.TextField(help_text="Rendered, sanitised body as published.")
    content_sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["policy", "-major", "-minor"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "major", "minor"], name="unique_policy_version_number"
            ),
        ]
        permissions = [
            ("download_signed_pdf", "Can download the signed PDF of a policy version"),
        ]

    def __str__(self):
        return f"{self.title} {self.label}"

    @property
    def label(self):
        return f"{self.major}.{self.minor}"


class PolicyApproval(ImmutableModel):
    """One approval decision that led to a version being published."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="approvals"
    )
    step = models.CharField(max_length=255)
    step_order = models.PositiveSmallIntegerField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "step_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "step_order"], name="unique_approval_per_step"
            ),
        ]

    def __str__(self):
        return f"{self.step} by {self.approved_by} for {self.version}"
