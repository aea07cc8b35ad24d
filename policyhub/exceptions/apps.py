from django.apps import AppConfig


class ExceptionsConfig(AppConfig):
    name = "policyhub.exceptions"
    label = "policy_exceptions"
    verbose_name = "Policy exceptions"

    def ready(self):
        from . import receivers  # noqa: F401 - flags exceptions on new major versions
        from .evidence import register  # noqa: F401 - adds the register to evidence packs
