from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "policyhub.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from . import access_receivers, receivers  # noqa: F401 - connects receivers
        from .config_receivers import connect_configuration_receivers
        from .permissions import grant_audit_permissions
        from .tasks import connect_task_attribution

        access_receivers.connect_optional_receivers()
        connect_configuration_receivers()
        connect_task_attribution()
        post_migrate.connect(grant_audit_permissions, dispatch_uid="audit-grant-permissions")
