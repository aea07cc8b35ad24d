from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "policyhub.privacy"
    label = "privacy"
    verbose_name = "Data protection"
