from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApiConfig(AppConfig):
    name = "policyhub.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self):
        from ..policies.permissions import grant_role_permissions
        from . import schema  # noqa: F401  Registers the OpenAPI security scheme.

        # The policies app grants role permissions on post_migrate before this
        # app's permission rows exist (its receiver connects before
        # django.contrib.auth's), so grant again once they do.
        post_migrate.connect(
            grant_role_permissions, sender=self, dispatch_uid="api-grant-role-permissions"
        )
