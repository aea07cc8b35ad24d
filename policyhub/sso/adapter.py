"""Sign-in rules for identity providers: sign-up, account linking and failure audit."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings

from ..audit.models import Outcome
from ..audit.services import record_event


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        """Create accounts for unknown people only when OIDC_ALLOW_SIGNUP is on."""
        if not settings.OIDC_ALLOW_SIGNUP:
            record_event(
                "sso.unknown_user_rejected",
                outcome=Outcome.DENIED,
                request=request,
                detail={"provider": sociallogin.provider.id},
            )
        return settings.OIDC_ALLOW_SIGNUP

    def authenticate_by_email(self, sociallogin):
        """Link to an existing account only when both sides verified the address.

        allauth already requires the identity provider to vouch for the
        address; PolicyHub also requires the account's own copy of that
        address to be verified, so an unconfirmed address cannot be claimed.
        """
        match = super().authenticate_by_email(sociallogin)
        if match is None:
            return None
        user, email = match
        verified = EmailAddress.objects.filter(
            user=user, email__iexact=email, verified=True
        ).exists()
        return match if verified else None

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        """Audit a failed sign-in, such as an ID token with a bad signature."""
        record_event(
            "sso.login_failed",
            outcome=Outcome.DENIED,
            request=request,
            detail={
                "provider": getattr(provider, "id", ""),
                "error": str(error or "")[:100],
                "exception": type(exception).__name__ if exception else "",
            },
        )
        super().on_authentication_error(request, provider, error, exception, extra_context)
