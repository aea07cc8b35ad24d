"""Password rules: length, character classes, common and personal passwords,
the last five passwords, and expiry after 90 days."""

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_password_validators.password_history.models import PasswordHistory

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
