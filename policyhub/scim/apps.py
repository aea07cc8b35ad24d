from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ScimConfig(AppConfig):
    name = "policyhub.scim"
    label = "scim"
    verbose_name = "SCIM provisioning"

    def ready(self):
        from ..policies.permissions import grant_role_permissions

        # The provisioning permission exists only after this app's
        # post_migrate, so the role grants run again then.
        post_migrate.connect(
            grant_role_permissions, sender=self, dispatch_uid="scim-grant-role-permissions"
        )
