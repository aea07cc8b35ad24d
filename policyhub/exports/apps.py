from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "policyhub.exports"
    label = "exports"
    verbose_name = "Exports"

    def ready(self):
        from . import evidence_reports  # noqa: F401 - adds campaign and training reports
