"""Password rules: length, character classes, common and personal passwords,
the last five passwords, expiry after 90 days, and the change required after
an administrator sets a password."""

import io
import sys
from datetime import timedelta

import pytest
from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_password_validators.password_history.models import PasswordHistory

from policyhub.audit.models import AuditEvent

from .conftest import PASSWORD

GOOD = "Quartz-Meadow-71"


@pytest.fixture(autouse=True)
def empty_cache():
    """allauth's rate limits count in the cache, which outlives one test."""
    cache.clear()


def errors_for(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [error.code for error in exc.error_list], " ".join(exc.messages)
    return [], ""


@pytest.mark.parametrize(
    ("password", "code", "wording"),
    [
        ("Short-Pw-1", "password_too_short", "at least 12 characters"),
        ("quartz-meadow-71", "min_length_upper_characters", "upper case"),
        ("QUARTZ-MEADOW-71", "min_length_lower_characters", "lower case"),
        ("Quartz-Meadow-xx", "min_length_digit", "digit"),
        ("QuartzMeadow71ab", "min_length_special_characters", "special character"),
        ("Password123!", "password_too_common", "too common"),
    ],
)
def test_password_rule_names_failure(db, password, code, wording):
    codes, message = errors_for(password)
    assert code in codes
    assert wording in message


def test_password_similar_to_email_rejected(personas):
    user = personas["employee"]
    codes, message = errors_for("Employee@example.test1", user)
    assert "password_too_similar" in codes
    assert "too similar" in message


def test_long_password_with_spaces_accepted(db):
    passphrase = "Correct horse battery staple 42 " * 2
    assert len(passphrase) >= 64
    assert errors_for(passphrase) == ([], "")


def test_good_password_passes_every_rule(db):
    assert errors_for(GOOD) == ([], "")


def set_password(user, password):
    user.set_password(password)
    user.save()


def test_last_five_passwords_rejected(personas):
    user = personas["employee"]
    used = [f"Quartz-Meadow-7{n}" for n in range(5)]
    for password in used:
        set_password(user, password)
    for password in used:
        codes, message = errors_for(password, user)
        assert codes == ["password_used"], password
        assert "already used" in message
    set_password(user, "Granite-River-55")
    # The oldest of the five is now the sixth most recent and may return.
    assert errors_for(used[0], user) == ([], "")
    assert errors_for(used[1], user)[0] == ["password_used"]


def test_history_stores_hashes_only(personas):
    user = personas["employee"]
    set_password(user, GOOD)
    rows = PasswordHistory.objects.filter(user_config__user=user)
    assert rows.count() == 1
    assert GOOD not in rows.get().password
    assert len(rows.get().password) > 40


def age_password(user, days):
    """Make ``user``'s password look ``days`` old, with or without history."""
    then = timezone.now() - timedelta(days=days)
    PasswordHistory.objects.filter(user_config__user=user).update(date=then)
    type(user).objects.filter(pk=user.pk).update(date_joined=then)


def change_password_page(client):
    return reverse("account_change_password")


def sign_in(client, user, password=PASSWORD):
    return client.post(
        reverse("account_login"), {"login": user.email, "password": password},
        REMOTE_ADDR="198.51.100.7",
    )


def assert_portal_open(client):
    response = client.get(reverse("portal:home"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] != reverse("account_change_password")


def test_expired_password_forces_change(client, personas):
    user = personas["employee"]
    age_password(user, 91)
    sign_in(client, user)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response.url == change_password_page(client)
    assert client.get(change_password_page(client)).status_code == 200


def test_fresh_password_not_expired(client, personas):
    user = personas["employee"]
    age_password(user, 200)
    set_password(user, GOOD)
    age_password(user, 89)
    type(user).objects.filter(pk=user.pk).update(
        date_joined=timezone.now() - timedelta(days=400)
    )
    sign_in(client, user, GOOD)
    assert_portal_open(client)


def test_changing_expired_password_unblocks(client, personas):
    user = personas["employee"]
    age_password(user, 120)
    sign_in(client, user)
    response = client.post(
        change_password_page(client),
        {"oldpassword": PASSWORD, "password1": GOOD, "password2": GOOD},
    )
    assert response.status_code == 302
    assert_portal_open(client)
    user.refresh_from_db()
    assert user.check_password(GOOD)


def test_change_form_rejects_reused_password(client, personas):
    user = personas["employee"]
    set_password(user, GOOD)
    sign_in(client, user, GOOD)
    response = client.post(
        change_password_page(client),
        {"oldpassword": GOOD, "password1": GOOD, "password2": GOOD},
    )
    assert response.status_code == 200
    assert "already used" in response.content.decode()


def test_expiry_follows_max_age_setting(client, personas, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30
    user = personas["employee"]
    age_password(user, 31)
    sign_in(client, user)
    assert client.get(reverse("portal:home")).url == change_password_page(client)


ADMIN_SET = "Basalt-Harbour-38"


def admin_sets_password(client, admin, user, password=ADMIN_SET):
    """Set ``user``'s password through Wagtail's user editor, signed in as ``admin``."""
    client.force_login(admin)
    response = client.post(
        reverse("wagtailusers_users:edit", args=[user.pk]),
        {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "password1": password,
            "password2": password,
            "is_active": "on",
            "groups": [group.pk for group in user.groups.all()],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()


@pytest.fixture
def administrator(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", PASSWORD)


def test_admin_set_password_forces_change(client, personas, administrator):
    user = personas["employee"]
    admin_sets_password(client, administrator, user)

    sign_in(client, user, ADMIN_SET)
    response = client.get(reverse("portal:home"), follow=True)

    assert response.redirect_chain[-1][0] == change_password_page(client)
    assert "An administrator set your password" in response.content.decode()
    event = AuditEvent.objects.get(action="account.password_set_by_administrator")
    assert event.actor == administrator
    assert event.object_id == str(user.pk)


def test_admin_set_password_forced_without_expiry(client, personas, administrator, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 0
    user = personas["employee"]
    admin_sets_password(client, administrator, user)

    sign_in(client, user, ADMIN_SET)

    assert client.get(reverse("portal:home")).url == change_password_page(client)


def test_changing_admin_set_password_unblocks(client, personas, administrator):
    user = personas["employee"]
    admin_sets_password(client, administrator, user)
    sign_in(client, user, ADMIN_SET)

    response = client.post(
        change_password_page(client),
        {"oldpassword": ADMIN_SET, "password1": GOOD, "password2": GOOD},
    )

    assert response.status_code == 302
    assert_portal_open(client)
    client.logout()
    sign_in(client, user, GOOD)
    assert_portal_open(client)


def test_changepassword_command_forces_change(client, personas, monkeypatch):
    user = personas["employee"]
    monkeypatch.setattr(sys, "argv", ["manage.py", "changepassword"])
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": ADMIN_SET)

    call_command("changepassword", user.username, stdout=io.StringIO())

    event = AuditEvent.objects.get(action="account.password_set_by_administrator")
    assert event.actor_label == "command:changepassword"
    sign_in(client, user, ADMIN_SET)
    assert client.get(reverse("portal:home")).url == change_password_page(client)


def test_own_password_change_not_forced(client, personas):
    user = personas["employee"]
    sign_in(client, user)
    client.post(
        change_password_page(client),
        {"oldpassword": PASSWORD, "password1": GOOD, "password2": GOOD},
    )
    client.logout()

    sign_in(client, user, GOOD)

    assert_portal_open(client)
    assert not AuditEvent.objects.filter(action="account.password_set_by_administrator").exists()
