from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "policyhub.procedures"
    label = "procedures"
    verbose_name = "Procedures"

    def ready(self):
        from . import evidence_section  # noqa: F401
