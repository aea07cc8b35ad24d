"""MFA: required for privileged roles, enrolment before anything else, and
audit events for enrolment and removal."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse

from policyhub.accounts.mfa import mfa_required
from policyhub.audit.models import AuditEvent

from .conftest import PASSWORD


@pytest.fixture(autouse=True)
def enforce_mfa(settings):
    settings.MFA_ENFORCED = True
    cache.clear()


def sign_in(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def reauthenticate(client):
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def current_code(secret):
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


@pytest.mark.parametrize("persona", ["approver", "author", "auditor", "owner"])
def test_privileged_roles_sent_to_enrolment(client, personas, persona):
    sign_in(client, personas[persona])
    for url in (reverse("portal:home"), "/policies/", "/exceptions/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("mfa_index"), url
    # The admin is either refused outright or also sends to enrolment.
    admin = client.get("/admin/")
    assert admin.status_code in (302, 403)
    if admin.status_code == 302:
        assert admin.url == reverse("mfa_index")
    assert client.get(reverse("mfa_index")).status_code == 200


@pytest.mark.parametrize("persona", ["employee", "outsider"])
def test_other_roles_need_no_mfa(client, personas, persona):
    sign_in(client, personas[persona])
    response = client.get(reverse("portal:home"))
    assert response.url != reverse("mfa_index")


def test_board_groups_and_admins_need_mfa(personas, settings):
    user = personas["employee"]
    assert not mfa_required(user)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    user = type(user).objects.get(pk=user.pk)
    assert mfa_required(user)
    assert "CAB" in settings.MFA_REQUIRED_GROUPS
    assert "Emergency CAB" in settings.MFA_REQUIRED_GROUPS
    staff = personas["outsider"]
    staff.is_staff = True
    assert mfa_required(staff)


def test_mfa_for_all_setting(client, personas, settings):
    settings.MFA_REQUIRED_FOR_ALL = True
    sign_in(client, personas["employee"])
    assert client.get(reverse("portal:home")).url == reverse("mfa_index")


def test_enforcement_off_lets_everyone_in(client, personas, settings):
    settings.MFA_ENFORCED = False
    sign_in(client, personas["approver"])
    assert client.get(reverse("portal:home")).url != reverse("mfa_index")


def test_totp_enrolment_unblocks_and_is_audited(
    client, personas, django_capture_on_commit_callbacks
):
    user = personas["approver"]
    sign_in(client, user)
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("mfa_activate_totp"), {"code": current_code(secret)}
        )
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    home = client.get(reverse("portal:home"))
    assert home.url != reverse("mfa_index")
    events = AuditEvent.objects.filter(action="mfa.authenticator_added", object_id=str(user.pk))
    assert events.exists()


def test_enrolled_user_signs_in_with_code(client, personas):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = personas["approver"]
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = sign_in(client, user)
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert client.get(reverse("portal:home")).url != reverse("mfa_index")


def test_removing_last_factor_requires_enrolment(
    client, personas, django_capture_on_commit_callbacks
):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = personas["approver"]
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    sign_in(client, user)
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type="totp").exists()
    assert client.get(reverse("portal:home")).url == reverse("mfa_index")
    assert AuditEvent.objects.filter(action="mfa.authenticator_removed").exists()
