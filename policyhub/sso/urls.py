"""OpenID Connect sign-in URLs, included before allauth's so these views handle the requests.

The paths and names are allauth's own, so its templates and the provider's
registered redirect URI (/accounts/oidc/<id>/login/callback/) stay the same.
"""

from django.urls import path

from . import oidc

urlpatterns = [
    path("oidc/<str:provider_id>/login/", oidc.login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        oidc.callback,
        name="openid_connect_callback",
    ),
]
