from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "policyhub.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import admin_passwords, lockout, receivers  # noqa: F401  (connect signal receivers)
