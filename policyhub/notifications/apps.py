from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "policyhub.notifications"
    label = "notifications"
    verbose_name = "Notifications"
