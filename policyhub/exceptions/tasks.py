"""Notifications, reminders and expiry of policy exceptions."""

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from ..notifications.services import daily_key, send_once

SUBJECTS = {
    "submitted": "Policy exception awaiting your decision",
    "approved": "Your policy exception was approved",
    "rejected": "Your policy exception was rejected",
    "revoked": "Your policy exception was revoked",
    "expired": "Your policy exception has expired",
    "expiring": "Your policy exception ends soon",
}


def _recipients(exception, event):
    if event != "submitted":
        return [exception.requester]
    User = get_user_model()
    approvers = User.objects.filter(
        is_active=True, groups=exception.version.policy.approver_group
    ).exclude(pk=exception.requester_id)
    recipients = list(approvers)
    if exception.needs_risk_owner:
        recipients += list(
            User.objects.filter(is_active=True, groups__name=settings.EXCEPTIONS_RISK_OWNER_GROUP)
            .exclude(pk=exception.requester_id)
        )
    return list({user.pk: user for user in recipients}.values())


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_exception(self, exception_id, event):
    """Email the people an exception event concerns, once per person and event."""
    from .models import PolicyException

    exception = PolicyException.objects.select_related("version__policy", "requester").get(pk=exception_id)
    actor = f"celery:{self.name}:{self.request.id}"
    sent = 0
    for user in _recipients(exception, event):
        key = f"exception:{exception.pk}:{event}:{user.pk}"
        if event == "expiring":
            key = daily_key("exception-expiring", exception.pk, user.pk)
        sent += send_once(
            key, f"exception-{event}", user, SUBJECTS[event], "notifications/exception",
            {"exception": exception, "event": event, "policy": exception.version.policy},
            actor=actor,
        )
    return sent


@shared_task(bind=True, acks_late=True)
def expire_exceptions(self):
    """Expire exceptions past their end date and remind requesters of those ending soon."""
    from .models import PolicyException, State
    from .services import expire_due

    expired = expire_due(actor=f"celery:{self.name}:{self.request.id}")
    today = timezone.localdate()
    reminder_dates = [today + timezone.timedelta(days=days) for days in settings.EXCEPTIONS_REMINDER_DAYS]
    due = PolicyException.objects.filter(state=State.APPROVED, end_date__in=reminder_dates)
    for pk in due.values_list("pk", flat=True):
        notify_exception.delay(pk, "expiring")
    return expired
