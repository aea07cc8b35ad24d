from django.apps import AppConfig


class AccessReviewsConfig(AppConfig):
    name = "policyhub.access_reviews"
    label = "access_reviews"
    verbose_name = "Access reviews"

    def ready(self):
        from . import receivers  # noqa: F401
