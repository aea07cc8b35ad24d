from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "policyhub.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self):
        from . import receivers  # noqa: F401  (connect signal receivers)
