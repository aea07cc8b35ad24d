from django.conf import settings
from django.db import models


class Delivery(models.Model):
    """A claim on one notification, made before the email is sent.

    The unique ``dedupe_key`` (for example one reminder per person, campaign
    and day) is committed before sending, so a second beat tick, a retried
    task or a second worker finds the claim and sends nothing.
    """

    class Status(models.TextChoices):
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    dedupe_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=50, db_index=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deliveries"
    )
    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    actor = models.CharField(
        max_length=200, help_text="Task or user that caused the notification."
    )

    class Meta:
        ordering = ["-claimed_at"]

    def __str__(self):
        return f"{self.kind} to user {self.recipient_id} ({self.status})"
