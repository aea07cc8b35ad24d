"""OpenID Connect sign-in with allauth's provider, checking every ID token's signature.

allauth 65 skips the signature check of an ID token fetched directly from
the token endpoint, which OpenID Connect Core 1.0 (section 3.1.3.7) allows
over TLS. PolicyHub checks it anyway, against the provider's JWKS, so a
proxy or a misconfigured endpoint cannot hand over a forged identity. The
issuer, audience and expiry are checked in both cases.
"""

from urllib.parse import urlsplit

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404


class SignatureCheckingAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app, id_token):
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


def _provider_origin(adapter):
    """Return the scheme and host of the provider's server_url."""
    url = urlsplit(adapter.get_provider().app.settings["server_url"])
    return f"{url.scheme}://{url.netloc}"


@login_not_required
def login(request, provider_id):
    """Show the "Continue" form that starts the sign-in, and handle its POST.

    The POST returns a redirect to the provider, which browsers check
    against the form page's CSP form-action, so that page allows the
    provider's origin. NOTE: this is the origin of server_url; a provider
    whose authorization endpoint is on another host needs it added to
    CONTENT_SECURITY_POLICY's form-action.
    """
    adapter = SignatureCheckingAdapter(request, provider_id)
    try:
        response = OAuth2LoginView.adapter_view(adapter)(request)
        origin = _provider_origin(adapter)
    except SocialApp.DoesNotExist:
        raise Http404(f"No OpenID Connect provider {provider_id!r} is configured.") from None
    response._csp_update = {"form-action": [origin]}
    return response


@login_not_required
def callback(request, provider_id):
    try:
        return OAuth2CallbackView.adapter_view(SignatureCheckingAdapter(request, provider_id))(
            request
        )
    except SocialApp.DoesNotExist:
        raise Http404(f"No OpenID Connect provider {provider_id!r} is configured.") from None
