from django.apps import AppConfig


class AttestationsConfig(AppConfig):
    name = "policyhub.attestations"
    label = "attestations"
    verbose_name = "Attestations"

    def ready(self):
        from . import receivers  # noqa: F401
