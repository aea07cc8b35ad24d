"""Background work for training. Tasks take ids, and a repeat changes nothing."""

import datetime
import logging

from celery import shared_task
from django.db import IntegrityError, OperationalError
from django.utils import timezone

from ..attestations.system import system_user
from ..notifications.services import batches

logger = logging.getLogger(__name__)

RETRY = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (OSError, IntegrityError, OperationalError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


def _actor(task):
    return f"celery:{task.name}@{task.request.hostname or 'eager'}:{task.request.id}"


def _day(value):
    return datetime.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(**RETRY)
def issue_certificate_task(self, completion_id):
    from .certificates import issue_certificate

    issue_certificate(completion_id, system_actor=_actor(self))


@shared_task(**RETRY)
def notify_attempts_exhausted_task(self, assignment_id, day=None):
    from .reminders import notify_attempts_exhausted

    return notify_attempts_exhausted(assignment_id, _day(day), _actor(self))


@shared_task(**RETRY)
def assign_user_task(self, user_id):
    from django.contrib.auth import get_user_model

    from .services import assign_new_member

    user = get_user_model().objects.filter(pk=user_id).first()
    return assign_new_member(user, system_user()) if user is not None else 0


@shared_task(**RETRY)
def move_department_task(self, user_id, previous_department):
    from django.contrib.auth import get_user_model

    from .services import move_department

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return [0, 0]
    return list(move_department(user, previous_department, system_user(), _actor(self)))


@shared_task(**RETRY)
def run_rule_task(self, rule_id):
    """Assign an active rule's members, or release a retired rule's
    assignments. A retry repeats the work without duplicates."""
    from .models import TrainingRule
    from .services import assign_for_rule, release_rule
    from .services.rules import mark_run_failed

    rule = TrainingRule.objects.filter(pk=rule_id).first()
    if rule is None:
        return 0
    try:
        if rule.retired_at is not None:
            return release_rule(rule, system_user(), _actor(self))
        return assign_for_rule(rule, system_user(), _actor(self))
    except Exception as exc:
        mark_run_failed(rule_id, system_user(), exc)
        raise


@shared_task(**RETRY)
def daily_training_task(self, day=None):
    """Reopen lapsed completions, apply suspensions for long-overdue
    training, then fan out reminders and escalations."""
    from .reminders import escalation_ids, reminder_ids
    from .services import reopen_lapsed
    from .services.suspensions import lift_cleared, suspend_overdue

    today = _day(day)
    actor = system_user()
    reopened = reopen_lapsed(today, actor)
    lifted = lift_cleared(today, actor, _actor(self))
    for suspension_id in suspend_overdue(today, actor, _actor(self)):
        notify_suspension_task.delay(suspension_id)
    for ids in batches(reminder_ids(today)):
        send_reminders_task.delay(ids, today.isoformat())
    for ids in batches(escalation_ids(today)):
        send_escalations_task.delay(ids, today.isoformat())
    logger.info("Training daily run for %s reopened %s assignments, lifted %s suspensions",
                today, reopened, lifted)
    return reopened


@shared_task(**RETRY)
def notify_suspension_task(self, suspension_id):
    from .services.suspensions import notify_suspension

    return notify_suspension(suspension_id, _actor(self))


@shared_task(**RETRY)
def send_reminders_task(self, assignment_ids, day=None):
    from .reminders import send_reminders

    return send_reminders(assignment_ids, _day(day), _actor(self))


@shared_task(**RETRY)
def send_escalations_task(self, assignment_ids, day=None):
    from .reminders import send_escalations

    return send_escalations(assignment_ids, _day(day), _actor(self))
