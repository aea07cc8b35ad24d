"""axe-core checks of the sign-in, password and MFA pages that PolicyHub adds
or that its identity rules lead to, in Debian's headless Chromium."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from playwright.sync_api import expect

from policyhub.audit.context import acting_as

from .conftest import PASSWORD
from .oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from .test_browser import browser, describe_axe_violations, tab  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def submit_sign_in(view, email, password=PASSWORD):
    view.goto("/accounts/login/")
    view.get_by_label("Email").fill(email)
    view.get_by_label("Password").fill(password)
    view.get_by_role("button", name="Sign In").click()


def password_change_page(view, fixture):
    fixture("personas")
    submit_sign_in(view, "employee@example.test")
    view.goto("/accounts/password/change/")
    expect(view.get_by_role("heading", level=1)).to_be_visible()


def password_change_with_errors(view, fixture):
    password_change_page(view, fixture)
    view.locator("[name=oldpassword]").fill(PASSWORD)
    view.locator("[name=password1]").fill("short")
    view.locator("[name=password2]").fill("short")
    view.locator("form button[type=submit]").last.click()
    expect(view.get_by_text("This password is too short.")).to_be_visible()


def reauthenticate_page(view, fixture):
    fixture("personas")
    submit_sign_in(view, "employee@example.test")
    view.goto("/accounts/reauthenticate/")


def mfa_enrolment_page(view, fixture):
    fixture("settings").MFA_ENFORCED = True
    fixture("personas")
    submit_sign_in(view, "approver@example.test")
    expect(view).to_have_url(re.compile(r".*/accounts/2fa/$"))


def totp_activation_page(view, fixture):
    mfa_enrolment_page(view, fixture)
    view.goto("/accounts/reauthenticate/?next=/accounts/2fa/totp/activate/")
    view.locator("[name=password]").fill(PASSWORD)
    view.locator("form button[type=submit]").last.click()
    expect(view).to_have_url(re.compile(r".*/accounts/2fa/totp/activate/$"))


def mfa_code_page(view, fixture):
    personas = fixture("personas")
    TOTP.activate(personas["approver"], generate_totp_secret())
    submit_sign_in(view, "approver@example.test")
    expect(view).to_have_url(re.compile(r".*/accounts/2fa/authenticate/$"))


def lockout_page(view, fixture):
    fixture("personas")
    for _ in range(5):
        submit_sign_in(view, "employee@example.test", "Wrong-Password-99!")
    expect(view.get_by_role("heading", name="Account locked")).to_be_visible()


@pytest.fixture
def oidc_provider(settings):
    with OidcProvider() as running:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "test-idp",
                        "name": "Test identity provider",
                        "client_id": CLIENT_ID,
                        "secret": CLIENT_SECRET,
                        "settings": {"server_url": running.issuer},
                    }
                ],
            }
        }
        yield running


def sso_sign_in_page(view, fixture):
    fixture("oidc_provider")
    view.goto("/accounts/login/")
    expect(view.get_by_role("link", name="Test identity provider")).to_be_visible()


def sso_confirmation_page(view, fixture):
    sso_sign_in_page(view, fixture)
    view.get_by_role("link", name="Test identity provider").click()
    expect(view.locator("form button[type=submit]").last).to_be_visible()


def sso_signup_closed_page(view, fixture):
    provider = fixture("oidc_provider")
    provider.claims = {"sub": "stranger", "email": "stranger@example.test", "email_verified": True}
    sso_confirmation_page(view, fixture)
    view.locator("form button[type=submit]").last.click()
    expect(view.get_by_role("heading", name="Sign Up Closed")).to_be_visible()


def admin_set_password_page(view, fixture):
    personas = fixture("personas")
    personas["employee"].set_password(PASSWORD)
    with acting_as("command:changepassword"):
        personas["employee"].save()
    submit_sign_in(view, "employee@example.test")
    expect(view.get_by_text("An administrator set your password")).to_be_visible()


IDENTITY_PAGES = [
    password_change_page,
    password_change_with_errors,
    reauthenticate_page,
    mfa_enrolment_page,
    totp_activation_page,
    mfa_code_page,
    lockout_page,
    sso_sign_in_page,
    sso_confirmation_page,
    sso_signup_closed_page,
    admin_set_password_page,
]


@pytest.mark.parametrize("open_page", IDENTITY_PAGES, ids=lambda function: function.__name__)
def test_identity_page_passes_axe(tab, request, open_page):  # noqa: F811
    open_page(tab, request.getfixturevalue)
    violations = describe_axe_violations(tab)
    report = "\n".join(violations)
    assert not violations, f"axe-core violations on {tab.url}:\n{report}"
