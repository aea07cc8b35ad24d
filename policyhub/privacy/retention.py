"""Retention: pseudonymise leavers after a set time and delete expired data.

Periods come from ``POLICYHUB_RETENTION_DAYS``. A deactivated account keeps
its row, so acknowledgements, approvals and audit events still point at it,
but its name, email address and personal fields are replaced by a pseudonym.
Every step only touches rows that still need it, so a retried run changes
(and counts) nothing twice.
"""

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection, models, transaction
from django.utils import timezone

from ..attestations.system import SYSTEM_USERNAME, system_user
from ..audit.models import AuditEvent
from ..audit.services import record_event
from .migration_operations import REENCRYPT_SETTING

logger = logging.getLogger(__name__)
ACTOR_LABEL = "task:privacy.apply_retention"
PSEUDONYM_DOMAIN = "anonymised.invalid"


def pseudonym_for(user_pk):
    """Return the stable pseudonym of user ``user_pk``: the same on every run."""
    return f"former-user-{user_pk}"


def _days(kind):
    return timedelta(days=settings.POLICYHUB_RETENTION_DAYS[kind])


def _erase_audit_addresses(user):
    """Erase the encrypted address of the user's version 2 audit events.

    The chain covers the address's digest, not the address, so the chain
    still verifies. Version 1 events hashed the address itself and keep it
    until the audit retention purge removes them.
    """
    events = AuditEvent.objects.filter(actor=user, chain_version__gte=2).exclude(
        ip_address__isnull=True
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'on', true)", [REENCRYPT_SETTING])
        # AuditEvent's own queryset refuses updates; this one is the single
        # sanctioned change, and the database trigger checks that nothing but
        # the address changes.
        erased = models.QuerySet.update(events, ip_address=None)
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'off', true)", [REENCRYPT_SETTING])
    return erased


def _erase_acknowledgement_details(user):
    """Erase the address and browser stored with the user's acknowledgements.

    The acknowledgement itself (who, which version, when, the content hash)
    stays; its queryset refuses updates, so the base queryset is used for this
    one erasure.
    """
    Acknowledgement = apps.get_model("attestations", "Acknowledgement")
    acknowledgements = Acknowledgement.objects.filter(user=user)
    return models.QuerySet.update(acknowledgements, ip_address=None, user_agent="")


def _scrub_history(user, pseudonym, email):
    """Replace the personal details in the user's earlier history rows.

    Each history row is a copy of the account at the time, so the names and
    email address would otherwise survive there. Who changed what, and when,
    stays.
    """
    return user.history.update(
        username=pseudonym,
        email=email,
        first_name="Former user",
        last_name=f"#{user.pk}",
        job_title="",
        employee_number=None,
        employee_number_hash=None,
    )


def anonymise_user(user_pk, actor):
    """Replace the personal details of deactivated user ``user_pk`` by a pseudonym.

    Return False when the account is active, already anonymised or the
    system account. The account row and every record that refers to it stay.
    """
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_pk)
        if user.is_active or user.anonymised_at or user.username == SYSTEM_USERNAME:
            return False
        pseudonym = pseudonym_for(user.pk)
        email = f"{pseudonym}@{PSEUDONYM_DOMAIN}"
        old_email = user.email
        counts = {
            "history_rows": _scrub_history(user, pseudonym, email),
            "acknowledgements": _erase_acknowledgement_details(user),
            "audit_addresses": _erase_audit_addresses(user),
            "email_addresses": EmailAddress.objects.filter(user=user).delete()[0],
            "authenticators": Authenticator.objects.filter(user=user).delete()[0],
            "session_records": UserSession.objects.filter(user=user).delete()[0],
        }
        counts["login_attempts"] = _delete_login_records(
            models.Q(username__iexact=old_email) | models.Q(username__iexact=user.username)
        )
        user.username = pseudonym
        user.email = email
        user.first_name = "Former user"
        user.last_name = f"#{user.pk}"
        user.job_title = ""
        user.employee_number = None
        user.manager = None
        user.set_unusable_password()
        user.anonymised_at = timezone.now()
        user._history_user = actor
        user._change_reason = "Personal details replaced by a pseudonym (retention)"
        user.save()
        record_event(
            "account.anonymised",
            actor=actor,
            system_actor=ACTOR_LABEL,
            obj=user,
            detail=counts,
        )
    logger.info("Anonymised user %s", user_pk)
    return True


def _delete_login_records(condition):
    """Delete django-axes records matching ``condition``; return how many."""
    deleted = 0
    for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
        model = apps.get_model("axes", name)
        deleted += model.objects.filter(condition).delete()[0]
    return deleted


def anonymise_due_users(actor, now=None):
    """Anonymise every account deactivated longer than the retention period."""
    now = now or timezone.now()
    due = (
        get_user_model()
        .objects.filter(
            is_active=False,
            anonymised_at__isnull=True,
            deactivated_at__lte=now - _days("deactivated_user"),
        )
        .exclude(username=SYSTEM_USERNAME)
        .values_list("pk", flat=True)
    )
    return sum(1 for user_pk in list(due) if anonymise_user(user_pk, actor))


def purge_expired_data(now=None):
    """Delete sessions, sign-in records, API keys and notifications past retention.

    Return the number of rows deleted per kind.
    """
    now = now or timezone.now()
    ApiKey = apps.get_model("api", "ApiKey")
    Delivery = apps.get_model("notifications", "Delivery")
    counts = {
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        "session_records": UserSession.objects.filter(
            last_seen_at__lt=now - _days("sessions")
        ).delete()[0],
        "login_attempts": _delete_login_records(
            models.Q(attempt_time__lt=now - _days("login_attempts"))
        ),
        "notifications": Delivery.objects.filter(
            claimed_at__lt=now - _days("notifications"),
            status__in=[Delivery.Status.SENT, Delivery.Status.FAILED],
        ).delete()[0],
    }
    cutoff = now - _days("api_keys")
    expired_keys = ApiKey.objects.filter(
        models.Q(expires_at__lt=cutoff) | models.Q(revoked_at__lt=cutoff)
    )
    deleted_keys = 0
    for key in expired_keys:
        # One by one, so django-simple-history records each deletion.
        try:
            key.delete()
        except models.ProtectedError:
            logger.warning("API key %s is still referenced and was kept", key.pk)
            continue
        deleted_keys += 1
    counts["api_keys"] = deleted_keys
    return counts


def apply_retention(now=None):
    """Run every retention step and record one audit event with the counts."""
    actor = system_user()
    counts = {"users_anonymised": anonymise_due_users(actor, now)}
    counts.update(purge_expired_data(now))
    record_event(
        "privacy.retention_applied",
        actor=actor,
        system_actor=ACTOR_LABEL,
        detail={
            "counts": counts,
            "retention_days": dict(settings.POLICYHUB_RETENTION_DAYS),
        },
    )
    logger.info("Retention run finished: %s", counts)
    return counts
