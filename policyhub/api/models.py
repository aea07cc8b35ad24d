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
