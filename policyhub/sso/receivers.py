"""Record single sign-on and apply the identity provider's MFA to the session."""

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from ..accounts.sessions import MFA_ENROLMENT_REQUIRED
from ..audit.services import record_event
from .mfa import idp_mfa_accepted


@receiver(user_logged_in, dispatch_uid="sso-logged-in")
def on_logged_in(sender, request, user, sociallogin=None, **kwargs):
    """Audit a sign-in through an identity provider.

    allauth sends its signal after Django's, whose receiver in the accounts
    app marked whether the user must enrol in MFA; MFA accepted from the
    identity provider lifts that.
    """
    if sociallogin is None:
        return
    accepted = idp_mfa_accepted(sociallogin)
    if accepted and getattr(request, "session", None) is not None:
        request.session[MFA_ENROLMENT_REQUIRED] = False
    record_event(
        "sso.login",
        actor=user,
        obj=user,
        request=request,
        detail={
            "provider": sociallogin.provider.id,
            "idp_mfa_accepted": accepted,
        },
    )
