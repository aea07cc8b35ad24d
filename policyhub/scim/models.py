"""Accounts that an identity provider manages through SCIM."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ScimIdentity(models.Model):
    """The identity provider's view of one PolicyHub account.

    A row exists for every account created or updated over SCIM; its
    ``external_id`` is the identifier the identity provider sends back in
    later requests.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scim_identity"
    )
    external_id = models.CharField(max_length=255, blank=True)
    provisioned_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SCIM identity"
        verbose_name_plural = "SCIM identities"
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="scim_identity_unique_external_id",
            )
        ]
        permissions = [("provision_users", "Can provision users and roles over SCIM")]

    def __str__(self):
        return f"SCIM identity of user {self.user_id}"
