from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policyhub.policies"
    label = "policies"
    verbose_name = "Policies"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .permissions import grant_role_permissions

        post_migrate.connect(grant_role_permissions)
