from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrainingConfig(AppConfig):
    name = "policyhub.training"
    label = "training"
    verbose_name = "Security training"

    def ready(self):
        from . import receivers  # noqa: F401
        from .permissions import grant_training_page_permissions

        post_migrate.connect(
            grant_training_page_permissions, dispatch_uid="training-grant-page-permissions"
        )
