"""Lockout after five failed sign-ins, per account and per client address."""

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from policyhub.accounts.lockout import account_key
from policyhub.audit.models import AuditEvent

from .conftest import PASSWORD

WRONG = "Wrong-Password-99!"


@pytest.fixture(autouse=True)
def empty_cache():
    """allauth's rate limits count in the cache, which outlives one test."""
    cache.clear()


def attempt(client, login, password=WRONG, ip="198.51.100.7", **headers):
    return client.post(
        reverse("account_login"), {"login": login, "password": password},
        REMOTE_ADDR=ip, **headers,
    )


def signed_in(client):
    return "_auth_user_id" in client.session


def test_five_failures_lock_account(client, personas):
    user = personas["employee"]
    for _ in range(4):
        assert attempt(client, user.email).status_code == 200
    assert attempt(client, user.email).status_code == 429
    response = attempt(client, user.email, PASSWORD, ip="203.0.113.9")
    assert response.status_code == 429
    assert not signed_in(client)


def test_lockout_counts_identifier_variants(client, personas):
    """Upper-case email, padded email and username all count for one account."""
    user = personas["employee"]
    variants = [
        user.email.upper(), f"  {user.email}", user.email.title(),
        "eMpLoYeE@example.TEST", user.email,
    ]
    for number, login in enumerate(variants):
        attempt(client, login, ip=f"198.51.100.{number + 1}")
    response = attempt(client, user.email, PASSWORD, ip="203.0.113.9")
    assert response.status_code == 429
    assert not signed_in(client)


def test_lockout_blocks_address_across_accounts(client, personas):
    names = ["employee", "owner", "approver", "auditor", "outsider"]
    for name in names:
        attempt(client, personas[name].email, ip="198.51.100.50")
    response = attempt(client, personas["owner2"].email, PASSWORD, ip="198.51.100.50")
    assert response.status_code == 429
    other = attempt(client, personas["owner2"].email, PASSWORD, ip="198.51.100.51")
    assert other.status_code == 302
    assert signed_in(client)


def test_username_counts_as_same_account(personas):
    user = personas["employee"]
    assert account_key(None, {"username": "EMPLOYEE"}) == user.email
    assert account_key(None, {"email": user.email.upper()}) == user.email
    assert account_key(None, {"email": "Unknown@Example.Test"}) == "unknown@example.test"


def test_forwarded_header_ignored_without_proxies(client, personas):
    for number in range(5):
        attempt(
            client, f"nobody{number}@example.test", ip="198.51.100.60",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number + 1}",
        )
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {"198.51.100.60"}


def test_forwarded_header_used_behind_proxy(client, personas, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_PROXY_ORDER = "right-most"
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    attempt(
        client, "nobody@example.test", ip="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.77, 198.51.100.70",
    )
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {"198.51.100.70"}


def test_success_resets_account_counter(client, personas):
    user = personas["employee"]
    for _ in range(4):
        attempt(client, user.email)
    assert attempt(client, user.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, user.email)
    assert attempt(client, user.email, PASSWORD).status_code == 302


def test_lockout_recorded_in_audit_trail(client, personas):
    user = personas["employee"]
    for _ in range(5):
        attempt(client, user.email.upper())
    events = AuditEvent.objects.filter(action="auth.lockout")
    assert events.count() == 1
    event = events.get()
    assert event.object_id == str(user.pk)
    assert event.outcome == "denied"
    assert event.detail["ip_address"] == "198.51.100.7"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_locked_out_user_gets_email(client, personas):
    user = personas["employee"]
    for _ in range(5):
        attempt(client, user.email)
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert "locked" in mail.outbox[0].subject


def test_unlock_command_clears_account(client, personas):
    user = personas["employee"]
    for _ in range(5):
        attempt(client, user.email, ip="198.51.100.80")
    call_command("unlock_account", email=user.email.upper(), operator="Service Desk")
    call_command("unlock_account", ip="198.51.100.80", operator="Service Desk")
    assert attempt(client, user.email, PASSWORD, ip="198.51.100.80").status_code == 302
    unlocks = AuditEvent.objects.filter(action="auth.unlock")
    assert unlocks.count() == 2
    assert unlocks.first().actor_label == "command:unlock_account:Service Desk"
    assert unlocks.first().object_id == str(user.pk)


def test_unlock_command_requires_operator(db):
    with pytest.raises(Exception, match="operator"):
        call_command("unlock_account", email="x@example.test", operator=" ")
