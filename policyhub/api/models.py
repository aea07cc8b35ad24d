"""API keys: a hashed secret bound to a user, limited by scopes and expiry."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Keys that are neither revoked nor expired and whose user is active."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiKey(models.Model):
    """One API key. Only the SHA-256 of its secret is stored.

    A client sends ``ph_<prefix>.<secret>``; the prefix finds the row and the
    secret's hash is compared in constant time.
    """

    name = models.CharField(max_length=100, help_text="What the key is for.")
    prefix = models.CharField(max_length=11, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys"
    )
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    # last_used_at changes on use, through a conditional UPDATE, and is not
    # part of the key's history.
    history = HistoricalRecords(excluded_fields=["last_used_at"])
    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("manage_api_keys", "Can create and revoke API keys"),
            ("view_acknowledgement_status", "Can read other people's acknowledgement status"),
            ("deactivate_users", "Can deactivate users through the API"),
        ]

    def __str__(self):
        return f"{self.prefix} ({self.name})"

    @property
    def status(self):
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if not self.user.is_active:
            return "user deactivated"
        return "active"


class IdempotencyKey(models.Model):
    """The first result of a create request sent with an ``Idempotency-Key`` header.

    A retry with the same header value from the same API key (or, for portal
    session requests, the same user) returns the stored change instead of
    creating a second one. Only the SHA-256 of the header value is stored,
    with the SHA-256 of the request body so that reusing a key for a
    different body is detected. The unique constraints make concurrent
    retries wait for the first request and then find its row.
    """

    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, null=True, blank=True, related_name="idempotency_keys"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_sha256 = models.CharField(max_length=64)
    request_sha256 = models.CharField(max_length=64)
    # Empty only inside the transaction that claims the key and creates the change.
    change = models.ForeignKey(
        "changes.ChangeRequest", on_delete=models.CASCADE, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key_sha256"],
                condition=models.Q(api_key__isnull=False),
                name="idempotency_key_unique_per_api_key",
            ),
            models.UniqueConstraint(
                fields=["user", "key_sha256"],
                condition=models.Q(api_key__isnull=True),
                name="idempotency_key_unique_per_session_user",
            ),
        ]

    def __str__(self):
        return f"Idempotency key {self.key_sha256[:12]} for change {self.change_id}"
