from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Close self sign-up: administrators provision every account."""

    def is_open_for_signup(self, request):
        return False

    def get_login_stages(self):
        """Use PolicyHub's MFA step, which may accept an identity provider's MFA."""
        return [
            "policyhub.sso.stages.AuthenticateStage"
            if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in super().get_login_stages()
        ]
