"""Account lockout with django-axes: one counter per account and per address."""

import logging

from axes.signals import user_locked_out
from axes.utils import reset
from django.contrib.auth import get_user_model
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from ..audit.models import Outcome
from ..audit.services import record_event
from ..notifications.services import send_once

logger = logging.getLogger(__name__)


def _typed_identifier(request, credentials):
    credentials = credentials or {}
    for field in ("login", "email", "username"):
        if credentials.get(field):
            return str(credentials[field])
    data = getattr(request, "POST", None) or {}
    return str(data.get("login") or data.get("email") or data.get("username") or "")


def account_key(request, credentials=None):
    """Return the key that counts failures for one account.

    A user can sign in with their email address in any letter case, and
    Django's admin login still posts a username, so every identifier of a
    known user maps to the user's lower-cased email address. An unknown
    identifier is counted under its own lower-cased form.
    """
    identifier = _typed_identifier(request, credentials).strip().lower()
    if not identifier:
        return ""
    User = get_user_model()
    field = "email__iexact" if "@" in identifier else "username__iexact"
    email = User.objects.filter(**{field: identifier}).values_list("email", flat=True).first()
    return (email or identifier).lower()


def unlock_account(email, actor=None, system_actor="", request=None):
    """Clear the failed attempts of the account with ``email``; return the count."""
    key = email.strip().lower()
    removed = reset(username=key)
    user = get_user_model().objects.filter(email__iexact=key).first()
    record_event(
        "auth.unlock", actor=actor, obj=user, system_actor=system_actor,
        request=request, detail={"attempts_cleared": removed},
    )
    return removed


def unlock_address(ip_address, actor=None, system_actor="", request=None):
    """Clear the failed attempts from ``ip_address``; return the count."""
    removed = reset(ip=ip_address)
    record_event(
        "auth.unlock", actor=actor, system_actor=system_actor, request=request,
        object_type="ip_address", object_id=ip_address,
        detail={"attempts_cleared": removed},
    )
    return removed


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    """Audit every lockout and tell the account's owner by email."""
    user = get_user_model().objects.filter(email__iexact=username or "").first()
    record_event(
        "auth.lockout", obj=user, outcome=Outcome.DENIED, request=request,
        object_type="" if user else "ip_address",
        object_id="" if user else (ip_address or ""),
        detail={"ip_address": ip_address, "known_account": user is not None},
    )
    if user is not None:
        transaction.on_commit(lambda: _notify_locked_out(user))


def _notify_locked_out(user):
    # One notice per account and minute: the lockout signal fires once per
    # lockout, and a retry within the minute must not send a second notice.
    key = f"account-locked:{user.pk}:{timezone.now():%Y-%m-%dT%H:%M}"
    try:
        send_once(
            key, "account-locked", user,
            "Your PolicyHub account was locked", "accounts/email/locked_out",
            {}, "system:lockout",
        )
    except Exception:
        # The lockout itself is recorded; a mail failure must not undo it.
        logger.exception("Lockout notice for user %s failed", user.pk)
