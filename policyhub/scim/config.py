"""The ServiceProviderConfig document: what this SCIM endpoint supports."""

from django_scim.models import SCIMServiceProviderConfig


class ServiceProviderConfig(SCIMServiceProviderConfig):
    def to_dict(self):
        document = super().to_dict()
        document["filter"] = {"supported": True, "maxResults": 50}
        # Passwords are not managed over SCIM: users sign in with SSO or set
        # their own password through the reset link.
        document["changePassword"] = {"supported": False}
        return document
