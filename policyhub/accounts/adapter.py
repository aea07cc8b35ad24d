from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Close self sign-up: administrators provision every account."""

    def is_open_for_signup(self, request):
        return False
