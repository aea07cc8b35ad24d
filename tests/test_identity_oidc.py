"""Single sign-on with OpenID Connect against a local test provider: the full
authorisation code flow, ID token checks, account linking and MFA policy."""

from urllib.parse import urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from policyhub.accounts import roles
from policyhub.audit.models import AuditEvent

from .oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider

PROVIDER_ID = "test-idp"


@pytest.fixture
def provider(db, settings):
    cache.clear()
    with OidcProvider() as running:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": PROVIDER_ID,
                        "name": "Test identity provider",
                        "client_id": CLIENT_ID,
                        "secret": CLIENT_SECRET,
                        "settings": {"server_url": running.issuer},
                    }
                ],
            }
        }
        yield running
    cache.clear()


def claims_for(user, **extra):
    return {
        "sub": f"subject-{user.pk}",
        "email": user.email,
        "email_verified": True,
        "given_name": user.first_name,
        "family_name": user.last_name,
        **extra,
    }


def sign_in_with_sso(client):
    """Run the authorisation code flow; return the callback response."""
    start = client.post(reverse("openid_connect_login", args=[PROVIDER_ID]))
    assert start.status_code == 302, start.content[:500]
    approval = requests.get(start.url, allow_redirects=False, timeout=5)
    assert approval.status_code == 302
    callback = urlsplit(approval.headers["Location"])
    assert callback.path == reverse("openid_connect_callback", args=[PROVIDER_ID])
    return client.get(f"{callback.path}?{callback.query}")


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def assert_portal_open(client):
    response = client.get(reverse("portal:home"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] not in (reverse("mfa_index"), reverse("account_login"))


def test_login_page_shows_sso_button(client, provider):
    page = client.get(reverse("account_login")).content.decode()

    assert "Test identity provider" in page
    assert reverse("openid_connect_login", args=[PROVIDER_ID]) in page


def test_login_page_without_provider(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}

    page = client.get(reverse("account_login")).content.decode()

    assert "/accounts/oidc/" not in page


def test_sso_signs_in_existing_user(client, provider, personas):
    employee = personas["employee"]
    provider.claims = claims_for(employee)

    response = sign_in_with_sso(client)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(employee.pk)
    assert SocialAccount.objects.get(user=employee).uid == f"subject-{employee.pk}"
    event = AuditEvent.objects.get(action="sso.login")
    assert event.actor == employee
    assert event.detail["provider"] == "openid_connect"
    assert_portal_open(client)


@pytest.mark.parametrize("fault", ["signature", "audience", "issuer"])
def test_invalid_id_token_rejected(client, provider, personas, fault):
    provider.claims = claims_for(personas["employee"])
    provider.id_token_fault = fault

    sign_in_with_sso(client)

    assert signed_in_user_id(client) is None
    assert not SocialAccount.objects.exists()
    assert AuditEvent.objects.filter(action="sso.login_failed").count() == 1


def test_unverified_idp_email_not_linked(client, provider, personas):
    provider.claims = claims_for(personas["employee"], email_verified=False)

    sign_in_with_sso(client)

    assert signed_in_user_id(client) is None
    assert not SocialAccount.objects.exists()


def test_unverified_local_email_not_linked(client, provider, personas):
    employee = personas["employee"]
    EmailAddress.objects.filter(user=employee).update(verified=False)
    provider.claims = claims_for(employee)

    sign_in_with_sso(client)

    assert signed_in_user_id(client) is None
    assert not SocialAccount.objects.exists()


def test_unknown_user_cannot_sign_up(client, provider, db):
    provider.claims = {"sub": "stranger", "email": "stranger@example.test", "email_verified": True}

    response = sign_in_with_sso(client)

    assert signed_in_user_id(client) is None
    assert "Sign Up Closed" in response.content.decode()
    assert AuditEvent.objects.filter(action="sso.unknown_user_rejected").count() == 1


def test_unknown_user_signs_up_when_allowed(client, provider, db, settings, django_user_model):
    settings.OIDC_ALLOW_SIGNUP = True
    provider.claims = {"sub": "newcomer", "email": "newcomer@example.test", "email_verified": True}

    sign_in_with_sso(client)

    user = django_user_model.objects.get(email="newcomer@example.test")
    assert signed_in_user_id(client) == str(user.pk)


def mfa_role(user, settings):
    settings.MFA_ENFORCED = True
    user.groups.add(Group.objects.get(name=roles.APPROVERS))


def test_sso_user_still_needs_mfa(client, provider, personas, settings):
    employee = personas["employee"]
    mfa_role(employee, settings)
    provider.claims = claims_for(employee, amr=["pwd", "mfa"])

    sign_in_with_sso(client)

    assert signed_in_user_id(client) == str(employee.pk)
    assert client.get(reverse("portal:home")).url == reverse("mfa_index")


def test_trusted_idp_mfa_accepted(client, provider, personas, settings):
    employee = personas["employee"]
    mfa_role(employee, settings)
    settings.OIDC_TRUST_IDP_MFA = True
    provider.claims = claims_for(employee, amr=["pwd", "mfa"])

    sign_in_with_sso(client)

    assert_portal_open(client)
    assert AuditEvent.objects.get(action="sso.login").detail["idp_mfa_accepted"] is True


def test_trusted_idp_without_mfa_claim(client, provider, personas, settings):
    employee = personas["employee"]
    mfa_role(employee, settings)
    settings.OIDC_TRUST_IDP_MFA = True
    provider.claims = claims_for(employee, amr=["pwd"])

    sign_in_with_sso(client)

    assert client.get(reverse("portal:home")).url == reverse("mfa_index")


def test_confirmation_page_allows_provider_form_action(client, provider):
    response = client.get(reverse("openid_connect_login", args=[PROVIDER_ID]))

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert provider.issuer in form_action
    assert "'self'" in form_action
