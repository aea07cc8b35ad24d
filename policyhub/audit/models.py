from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ..policies.models.versions import ImmutableQuerySet
from ..privacy.fields import EncryptedTextField


class Outcome(models.TextChoices):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class AuditEvent(models.Model):
    """One security-relevant action, chained to the previous event by hash.

    ``event_hash`` is the SHA-256 of the event's canonical content together
    with ``previous_hash``, so changing, deleting or inserting any row breaks
    the chain that ``verify_audit_trail`` walks.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(
        max_length=200, help_text="user:<id>, or the task or command that acted."
    )
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # Encrypted at rest. The chain covers ip_address_digest instead, so
    # re-encryption and erasure of the address leave the chain intact.
    ip_address = EncryptedTextField(null=True, blank=True, max_plaintext_length=45)
    ip_address_digest = models.CharField(
        max_length=64, blank=True, editable=False,
        help_text="HMAC-SHA256 of the address under POLICYHUB_FIELD_HASH_KEY.",
    )
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    event_hash = models.CharField(max_length=64, unique=True)
    chain_version = models.PositiveSmallIntegerField(
        default=2,
        help_text="1: the hash covers the plain address (events recorded before "
        "addresses were encrypted); 2: it covers ip_address_digest.",
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        permissions = [("view_audit_trail", "Can view and export the audit trail")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"Audit event {self.pk} is append-only.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"Audit event {self.pk} is append-only.")


class AuditCheckpoint(models.Model):
    """A signed statement of the chain's head: its last event, hash and count.

    ``event_count`` counts every event from the first ever recorded through
    ``last_event_id``, including events a purge removed since. A purge
    checkpoint also names the removed range, and the chain continues from its
    ``head_hash``. ``payload`` is the canonical JSON that ``signature`` signs.
    """

    class Kind(models.TextChoices):
        PERIODIC = "periodic"
        PURGE = "purge"

    created_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    last_event_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    event_count = models.BigIntegerField()
    purged_first_id = models.BigIntegerField(null=True, blank=True)
    purged_last_id = models.BigIntegerField(null=True, blank=True)
    purged_count = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200)
    payload = models.TextField()
    signature = models.TextField(help_text="Base64 signature of the payload.")
    certificate_sha256 = models.CharField(max_length=64)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.kind} checkpoint at event {self.last_event_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"Audit checkpoint {self.pk} is append-only.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"Audit checkpoint {self.pk} is append-only.")


class LogReview(models.Model):
    """A periodic review of security events by the Security Team.

    One review exists per kind and period (a unique constraint), so a beat
    task that runs twice creates it once. The review covers events from
    ``period_start`` (inclusive) to ``period_end`` (exclusive).
    """

    class Kind(models.TextChoices):
        SECURITY_EVENTS = "security_events", "Security events"
        PRIVILEGED_ACCESS = "privileged_access", "Privileged access"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SIGNED_OFF = "signed_off", "Signed off"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_label = models.CharField(max_length=200)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    findings = models.TextField(blank=True)
    follow_up_actions = models.TextField(blank=True)
    events_reviewed = models.PositiveIntegerField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period_start"], name="audit_logreview_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="audit_logreview_period_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open")
                | models.Q(reviewer__isnull=False, signed_off_at__isnull=False),
                name="audit_logreview_signed_off_has_reviewer",
            ),
        ]
        permissions = [("sign_off_logreview", "Can sign off log reviews")]

    def __str__(self):
        return f"{self.get_kind_display()} review {self.period_start:%Y-%m-%d}"
