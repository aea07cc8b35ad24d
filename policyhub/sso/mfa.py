"""Whether a sign-in through an identity provider already used MFA there."""

from django.conf import settings


def idp_mfa_accepted(sociallogin):
    """Return whether PolicyHub accepts the identity provider's MFA for this sign-in.

    Only when OIDC_TRUST_IDP_MFA is on and the ID token's ``amr`` claim
    (RFC 8176 authentication method references) names one of
    OIDC_MFA_AMR_VALUES.
    """
    if sociallogin is None or not settings.OIDC_TRUST_IDP_MFA:
        return False
    id_token = (sociallogin.account.extra_data or {}).get("id_token") or {}
    methods = id_token.get("amr") or []
    if not isinstance(methods, list):
        return False
    return bool(set(methods) & set(settings.OIDC_MFA_AMR_VALUES))
