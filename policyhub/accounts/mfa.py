"""Who must use multi-factor authentication."""

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings

from ..privacy import keys as field_keys


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


class EncryptingMFAAdapter(DefaultMFAAdapter):
    """allauth's MFA adapter, storing TOTP secrets and recovery code seeds encrypted.

    allauth calls ``encrypt`` before it stores a secret in
    ``Authenticator.data`` and ``decrypt`` when it reads one, so the secrets
    are AES-256-GCM tokens under the field encryption keys.
    """

    def encrypt(self, text):
        return field_keys.encrypt(text)

    def decrypt(self, encrypted_text):
        return field_keys.decrypt(encrypted_text)


# Keys of Authenticator.data that hold encrypted secrets, by authenticator type.
ENCRYPTED_DATA_KEYS = {
    Authenticator.Type.TOTP: ("secret",),
    Authenticator.Type.RECOVERY_CODES: ("seed", "migrated_codes"),
}
