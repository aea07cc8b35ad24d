from django.conf import settings
from django.db import models

from ...policies.models.versions import ImmutableModel
from ...privacy.fields import EncryptedTextField


class Acknowledgement(ImmutableModel):
    """A person's statement that they read and understood a policy version."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    version = models.ForeignKey(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)
    content_sha256 = models.CharField(
        max_length=64, help_text="Hash of the version content shown to the reader."
    )
    cycle = models.PositiveIntegerField(
        default=1,
        help_text="Attestation cycle: 1 for the first acknowledgement of a version, "
        "then one more each time a periodic re-attestation lapses.",
    )
    # Encrypted at rest; the anonymisation of a leaver erases both.
    ip_address = EncryptedTextField(null=True, blank=True, max_plaintext_length=45)
    user_agent = EncryptedTextField(blank=True, max_plaintext_length=512)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "version", "cycle"],
                name="one_acknowledgement_per_user_version_cycle",
            ),
        ]

    def __str__(self):
        return f"{self.user} acknowledged {self.version}"
