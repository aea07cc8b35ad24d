from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "policyhub.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import lockout, receivers  # noqa: F401  (connect signal receivers)
