"""Session cookies, idle and absolute timeouts, privilege changes, sign-in by
email with verified addresses, and password reset by email."""

import re
import time
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from policyhub.accounts import roles
from policyhub.accounts.sessions import AUTHENTICATED_AT, LAST_SEEN_AT
from policyhub.audit.models import AuditEvent

from .conftest import PASSWORD, REPO, make_user

NEW_PASSWORD = "Granite-River-55"


@pytest.fixture(autouse=True)
def empty_cache():
    """allauth's rate limits count in the cache, which outlives one test."""
    cache.clear()


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def signed_in(client):
    return "_auth_user_id" in client.session


def shift_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    if "authenticated" in seconds_ago:
        session[AUTHENTICATED_AT] = now - seconds_ago["authenticated"]
    if "seen" in seconds_ago:
        session[LAST_SEEN_AT] = now - seconds_ago["seen"]
    session.save()


def test_sign_in_by_email_any_case(client, personas):
    response = sign_in(client, personas["employee"].email.upper())
    assert response.status_code == 302
    assert signed_in(client)


def test_session_cookie_flags(client, personas):
    response = sign_in(client, personas["employee"].email)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_cookies_are_secure():
    source = (REPO / "policyhub" / "settings" / "production.py").read_text()
    assert "SESSION_COOKIE_SECURE = True" in source
    assert "CSRF_COOKIE_SECURE = True" in source


def test_session_key_rotates_at_sign_in(client, personas):
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    sign_in(client, personas["employee"].email)
    assert client.session.session_key != before


def test_idle_session_ends(client, personas):
    sign_in(client, personas["employee"].email)
    shift_session(client, seen=settings.SESSION_IDLE_TIMEOUT_SECONDS + 1)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not signed_in(client)
    event = AuditEvent.objects.filter(action="auth.session_expired").get()
    assert event.detail == {"timeout": "idle"}


def test_active_session_survives_idle_window(client, personas):
    sign_in(client, personas["employee"].email)
    shift_session(client, seen=settings.SESSION_IDLE_TIMEOUT_SECONDS - 30)
    client.get(reverse("portal:home"))
    assert signed_in(client)


def test_absolute_timeout_ends_busy_session(client, personas):
    sign_in(client, personas["employee"].email)
    shift_session(client, authenticated=settings.SESSION_COOKIE_AGE + 1, seen=5)
    response = client.get(reverse("portal:home"))
    assert response.url.startswith(reverse("account_login"))
    assert not signed_in(client)
    event = AuditEvent.objects.filter(action="auth.session_expired").get()
    assert event.detail == {"timeout": "absolute"}


def test_idle_timeout_follows_setting(client, personas, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 120
    sign_in(client, personas["employee"].email)
    shift_session(client, seen=121)
    client.get(reverse("portal:home"))
    assert not signed_in(client)


def test_group_change_ends_sessions(client, personas, django_capture_on_commit_callbacks):
    user = personas["employee"]
    sign_in(client, user.email)
    assert Session.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        user.groups.add(Group.objects.get(name=roles.POLICY_OWNERS))
    assert Session.objects.count() == 0
    client.get(reverse("portal:home"))
    assert not signed_in(client)


def test_reverse_group_change_ends_sessions(
    client, personas, django_capture_on_commit_callbacks
):
    user = personas["employee"]
    sign_in(client, user.email)
    with django_capture_on_commit_callbacks(execute=True):
        Group.objects.get(name=roles.APPROVERS).user_set.add(user)
    assert Session.objects.count() == 0


def test_staff_flag_change_ends_sessions(
    client, personas, django_capture_on_commit_callbacks
):
    user = personas["employee"]
    sign_in(client, user.email)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_staff = True
        user.save()
    assert Session.objects.count() == 0


def test_unverified_email_cannot_sign_in(client, db):
    user = make_user("newcomer")
    EmailAddress.objects.filter(user=user).update(verified=False)
    response = sign_in(client, user.email)
    assert not signed_in(client)
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "confirm" in mail.outbox[-1].body.lower()


def test_password_reset_by_email(client, personas):
    user = personas["employee"]
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link is not None
    response = client.get(link.group(1))
    assert response.status_code == 302
    form_url = response.url
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The link is single-use.
    assert client.get(link.group(1), follow=True).context["token_fail"] is True


def test_password_reset_hides_unknown_accounts(client, db):
    known = client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})
    assert known.status_code == 302
    assert len(mail.outbox) <= 1


STORAGE_WORDS = re.compile(r"localStorage|sessionStorage")


def test_no_web_storage_in_templates_or_static():
    roots = [REPO / "templates", REPO / "policyhub"]
    offenders = [
        str(path.relative_to(REPO))
        for root in roots
        for path in root.rglob("*")
        if path.suffix in {".html", ".js", ".txt"}
        and STORAGE_WORDS.search(path.read_text(errors="ignore"))
    ]
    assert offenders == []
    assert any(Path(REPO / "templates").rglob("*.html"))
