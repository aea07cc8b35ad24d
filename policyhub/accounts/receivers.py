"""Signal receivers for sign-in, password, MFA and privilege changes.

The audit app records the events themselves (group, permission, flag,
password and authenticator changes); these receivers keep the session state
that the identity middleware reads and end sessions when rights change.
"""

import time

from allauth.account.signals import password_changed, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import m2m_changed, post_init, post_save
from django.dispatch import receiver

from . import deprovisioning
from .mfa import mfa_enrolled, mfa_required
from .passwords import password_change_reason
from .reauth import current_request
from .sessions import (
    AUTHENTICATED_AT,
    LAST_SEEN_AT,
    MFA_ENROLMENT_REQUIRED,
    PASSWORD_EXPIRED,
    end_user_sessions,
)

User = get_user_model()
PRIVILEGE_FIELDS = ("is_active", "is_staff", "is_superuser")


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs):
    """Start the session clocks and note what the user must do first."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = time.time()
    session[AUTHENTICATED_AT] = now
    session[LAST_SEEN_AT] = now
    session[PASSWORD_EXPIRED] = password_change_reason(user)
    session[MFA_ENROLMENT_REQUIRED] = must_enrol(user)


def must_enrol(user):
    return bool(settings.MFA_ENFORCED and mfa_required(user) and not mfa_enrolled(user))


@receiver(password_changed)
@receiver(password_set)
def on_password_changed(sender, request, user, **kwargs):
    request.session[PASSWORD_EXPIRED] = False


@receiver(authenticator_added)
def on_authenticator_added(sender, request, user, authenticator, **kwargs):
    request.session[MFA_ENROLMENT_REQUIRED] = must_enrol(user)


@receiver(authenticator_removed)
def on_authenticator_removed(sender, request, user, authenticator, **kwargs):
    request.session[MFA_ENROLMENT_REQUIRED] = must_enrol(user)


def request_actor():
    """Return the signed-in user of the current web request, if any."""
    user = getattr(current_request(), "user", None)
    return user if user is not None and user.is_authenticated else None


@receiver(post_init, sender=User)
def remember_privileges(sender, instance, **kwargs):
    instance._policyhub_privileges = tuple(
        instance.__dict__.get(field) for field in PRIVILEGE_FIELDS
    )


@receiver(post_save, sender=User)
def on_user_saved(sender, instance, created, raw=False, **kwargs):
    """End the sessions of a user whose status or admin rights changed, and
    revoke the access of a user who was deactivated by any means."""
    before = getattr(instance, "_policyhub_privileges", None)
    after = tuple(getattr(instance, field) for field in PRIVILEGE_FIELDS)
    instance._policyhub_privileges = after
    if raw or created or before is None or before == after:
        return
    was_active = before[0]
    if was_active and not instance.is_active:
        deprovisioning.revoke_access(
            instance,
            actor=getattr(instance, "_policyhub_deactivated_by", None) or request_actor(),
            system_actor=getattr(instance, "_policyhub_system_actor", ""),
            reason=getattr(instance, "_policyhub_reason", ""),
        )
        return
    _end_sessions_on_commit(instance)


def _end_sessions_on_commit(user):
    transaction.on_commit(lambda: end_user_sessions(user))


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
def on_grants_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """End the affected users' sessions, so each signs in again and the new
    session starts with the changed rights under a new session key."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        _end_sessions_on_commit(instance)
        return
    for user in User.objects.filter(pk__in=pk_set or ()):
        _end_sessions_on_commit(user)
