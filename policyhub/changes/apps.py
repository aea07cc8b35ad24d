from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "policyhub.changes"
    label = "changes"
    verbose_name = "Change management"

    def ready(self):
        from . import evidence  # noqa: F401 - adds changes to evidence packs
