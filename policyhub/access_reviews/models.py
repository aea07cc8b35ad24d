"""Quarterly access reviews and the review items they snapshot."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class AccessReviewQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=AccessReview.Status.OPEN)


class AccessReview(models.Model):
    """One review campaign of everyone's access for a quarter, e.g. "2026 Q4"."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    period = models.CharField(
        max_length=7,
        unique=True,
        help_text='Quarter under review, written "YYYY QN", for example "2026 Q4".',
    )
    due_date = models.DateField()
    status = models.CharField(
        max_length=6, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(
        default=dict,
        blank=True,
        help_text="Item counts per decision, recorded when the review closes.",
    )

    objects = AccessReviewQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period"]

    def __str__(self):
        return f"Access review {self.period}"

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class ReviewItem(models.Model):
    """One right of one person, as it stood when the review started.

    ``right_key`` names the right (a group membership or one django-guardian
    object permission), so a person has at most one item per right and review.
    """

    class Kind(models.TextChoices):
        GROUP = "group", "Group membership"
        OBJECT_PERMISSION = "object_permission", "Object permission"

    class Decision(models.TextChoices):
        PENDING = "pending", "Not decided"
        KEEP = "keep", "Keep"
        REVOKE = "revoke", "Revoke"
        CLOSED = "closed", "Closed: account deactivated"

    review = models.ForeignKey(AccessReview, on_delete=models.PROTECT, related_name="items")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="access_review_items",
        help_text="The person who holds the right.",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_reviews_to_decide",
        help_text="The subject's line manager; empty when compliance admins review it.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    right_key = models.CharField(max_length=320)
    group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, blank=True)
    permission = models.ForeignKey(Permission, on_delete=models.SET_NULL, null=True, blank=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_pk = models.CharField(max_length=255, blank=True)
    right_label = models.CharField(
        max_length=300, help_text="The right as the reviewer saw it when the review started."
    )
    decision = models.CharField(
        max_length=10, choices=Decision.choices, default=Decision.PENDING, db_index=True
    )
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(
        null=True, blank=True, help_text="When a revocation removed the right."
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["subject__last_name", "subject__first_name", "subject_id", "right_label"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "subject", "right_key"],
                name="one_access_review_item_per_right",
            ),
            models.CheckConstraint(
                condition=~models.Q(decision="revoke") | ~models.Q(reason=""),
                name="access_review_revocation_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["review", "reviewer", "decision"])]

    def __str__(self):
        return f"{self.right_label} of user {self.subject_id} ({self.decision})"

    @property
    def is_decided(self):
        return self.decision in (self.Decision.KEEP, self.Decision.REVOKE)
