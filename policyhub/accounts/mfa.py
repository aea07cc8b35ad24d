"""Who must use multi-factor authentication."""

from allauth.mfa.models import Authenticator
from django.conf import settings


def mfa_required(user):
    """Return whether ``user`` must sign in with a second factor.

    Members of MFA_REQUIRED_GROUPS, staff, superusers and anyone who may open
    the Wagtail admin need MFA; MFA_REQUIRED_FOR_ALL extends it to everyone.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if settings.MFA_REQUIRED_FOR_ALL or user.is_staff or user.is_superuser:
        return True
    if user.groups.filter(name__in=settings.MFA_REQUIRED_GROUPS).exists():
        return True
    return user.has_perm("wagtailadmin.access_admin")


def mfa_enrolled(user):
    """Return whether ``user`` has a TOTP app or a security key."""
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
