"""Notifications about change requests, sent through ``send_once``."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.urls import reverse

from ..notifications.services import send_once

SUBJECTS = {
    "submit": "{ref} was submitted",
    "assess": "{ref} is being assessed",
    "send_to_cab": "{ref} awaits your CAB vote",
    "request_information": "{ref} needs more information",
    "approve": "{ref} was approved",
    "reject": "{ref} was rejected",
    "schedule": "{ref} is scheduled",
    "start": "{ref} implementation started",
    "complete": "{ref} was implemented",
    "fail": "{ref} failed",
    "roll_back": "{ref} was rolled back",
    "begin_review": "{ref} is in post-implementation review",
    "retrospective_approve": "{ref} passed its retrospective CAB review",
    "retrospective_reject": "{ref} failed its retrospective CAB review",
    "close": "{ref} was closed",
    "cancel": "{ref} was cancelled",
}


def recipients(change, action):
    """Return the people to tell about ``action``: requester and implementer,
    plus the voters when a vote opens."""
    from .models import State
    from .services import eligible_voters, round_kind

    ids = {change.requester_id, change.implementer_id} - {None}
    opened = action == "send_to_cab" or (action == "begin_review" and change.state == State.REVIEW)
    current = round_kind(change)
    if opened and current is not None:
        ids |= set(eligible_voters(change, current[1]).values_list("pk", flat=True))
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk")


@shared_task(bind=True, acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_change_event(self, change_id, action, event_id, actor):
    """Email everyone involved in ``action`` on a change, once per recipient.

    The key names the change, the action, the audit event of this occurrence
    and the recipient, so a retried task sends nothing twice while a repeat
    of the same action later (a second submission) is still notified.
    """
    from .models import ChangeRequest

    change = ChangeRequest.objects.get(pk=change_id)
    subject = SUBJECTS.get(action, "{ref} was updated").format(ref=change.reference)
    context = {
        "reference": change.reference,
        "title": change.title,
        "state": change.get_state_display(),
        "subject": subject,
        "path": reverse("changes:detail", args=[change.pk]),
    }
    sent = 0
    for recipient in recipients(change, action):
        key = f"change:{change.pk}:{action}:{event_id}:user:{recipient.pk}"
        if send_once(key, f"change.{action}", recipient, subject,
                     "changes/email/change_event", context, actor):
            sent += 1
    return sent
