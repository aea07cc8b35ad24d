from django.conf import settings
from django.db import models
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from ..changes.risk import Rating, RiskLevel


class State(models.TextChoices):
    SUBMITTED = "submitted", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PolicyException(models.Model):
    """A request to deviate from numbered statements of a policy version,
    with its risk, compensating controls and end date."""

    version = models.ForeignKey(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="exceptions"
    )
    statements = models.JSONField(help_text="Statement ids, e.g. [\"AC-11\", \"AC-12\"].")
    scope = models.TextField(help_text="Systems or people the exception covers.")
    business_reason = models.TextField()
    impact = models.CharField(max_length=10, choices=Rating.choices)
    likelihood = models.CharField(max_length=10, choices=Rating.choices)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    compensating_controls = models.TextField()
    end_date = models.DateField()
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_exceptions"
    )
    renews = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="renewals"
    )
    request_token = models.UUIDField(unique=True, help_text="Form token against double submits.")
    state = FSMField(default=State.SUBMITTED, choices=State.choices, protected=True, db_index=True)
    decision_reason = models.TextField(blank=True, help_text="Reason for a rejection or revocation.")
    flagged_for_review = models.BooleanField(default=False)
    flag_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_exception_register", "Can view and export the exception register")]

    def __str__(self):
        return f"Exception {self.pk} to {', '.join(self.statements)} of {self.version}"

    @property
    def needs_risk_owner(self):
        return self.risk_level in settings.EXCEPTIONS_RISK_OWNER_LEVELS

    @transition(field=state, source=State.SUBMITTED, target=State.APPROVED)
    def approve(self):
        """Approve once every required decision is in (checked by the service)."""

    @transition(field=state, source=State.SUBMITTED, target=State.REJECTED)
    def reject(self):
        """Reject with a reason."""

    @transition(field=state, source=State.SUBMITTED, target=State.WITHDRAWN)
    def withdraw(self):
        """Withdraw the request before a decision; only the requester may."""

    @transition(field=state, source=State.APPROVED, target=State.REVOKED)
    def revoke(self):
        """End an approved exception early; only compliance admins may."""

    @transition(field=state, source=State.APPROVED, target=State.EXPIRED)
    def expire(self):
        """Mark an approved exception expired once its end date has passed."""


class Decision(models.Model):
    """One approver's decision on an exception, for one role in the approval."""

    class Role(models.TextChoices):
        APPROVER = "approver", "Policy approver group"
        RISK_OWNER = "risk_owner", "Risk owner"

    exception = models.ForeignKey(PolicyException, on_delete=models.PROTECT, related_name="decisions")
    role = models.CharField(max_length=20, choices=Role.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField()
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["exception", "role"], name="one_decision_per_role"),
        ]

    def __str__(self):
        verdict = "approved" if self.approved else "rejected"
        return f"{self.get_role_display()} {verdict} exception {self.exception_id}"
