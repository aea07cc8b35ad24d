from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "policyhub.accounts"
    label = "accounts"
    verbose_name = "Accounts"
