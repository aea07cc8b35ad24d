"""allauth's MFA step, skipped when the identity provider's MFA is accepted."""

from allauth.mfa.stages import AuthenticateStage as MfaAuthenticateStage

from .mfa import idp_mfa_accepted


class AuthenticateStage(MfaAuthenticateStage):
    def _should_handle(self, request):
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if idp_mfa_accepted(sociallogin):
            return False
        return super()._should_handle(request)
