from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "policyhub.portal"
    label = "portal"
    verbose_name = "Portal"
