"""Beat tasks of the audit trail. Each is idempotent: a retry or a second
beat creates no duplicate checkpoint, review or email."""

import logging

from celery import shared_task
from celery.signals import task_postrun, task_prerun

from .checkpoints import purge_expired_events, verify_trail, write_checkpoint
from .context import current_system_actor
from .models import Outcome
from .reviews import create_due_reviews, escalate_overdue_reviews
from .services import record_event

logger = logging.getLogger(__name__)
_task_tokens = {}


def connect_task_attribution():
    """Attribute audit events recorded inside any Celery task to ``task:<name>``."""
    task_prerun.connect(_enter_task, dispatch_uid="audit-task-prerun")
    task_postrun.connect(_leave_task, dispatch_uid="audit-task-postrun")


def _enter_task(task_id=None, task=None, **kwargs):
    _task_tokens[task_id] = current_system_actor.set(f"task:{task.name}")


def _leave_task(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        current_system_actor.reset(token)


@shared_task(
    name="audit.write_checkpoint",
    acks_late=True,
    max_retries=3,
    autoretry_for=(OSError,),
    retry_backoff=True,
)
def write_checkpoint_task():
    checkpoint = write_checkpoint("task:audit.write_checkpoint")
    return checkpoint.pk if checkpoint else None


@shared_task(name="audit.purge_expired_events", acks_late=True)
def purge_expired_events_task():
    checkpoint = purge_expired_events("task:audit.purge_expired_events")
    return checkpoint.pk if checkpoint else None


@shared_task(name="audit.create_log_reviews", acks_late=True)
def create_log_reviews_task():
    return [review.pk for review in create_due_reviews("task:audit.create_log_reviews")]


@shared_task(name="audit.escalate_overdue_log_reviews", acks_late=True)
def escalate_overdue_log_reviews_task():
    return escalate_overdue_reviews("task:audit.escalate_overdue_log_reviews")


@shared_task(name="audit.verify_trail", acks_late=True)
def verify_trail_task():
    """Verify the trail daily; a failure logs at CRITICAL for the SOC's alert
    rule and is itself recorded in the trail."""
    report = verify_trail()
    if report.intact:
        logger.info(
            "Audit trail intact: %s events, %s checkpoints",
            report.checked,
            report.checkpoints,
        )
    else:
        logger.critical("Audit trail verification failed: %s", report.problem)
    record_event(
        "audit.verified",
        system_actor="task:audit.verify_trail",
        outcome=Outcome.SUCCESS if report.intact else Outcome.FAILURE,
        detail={
            "checked": report.checked,
            "checkpoints": report.checkpoints,
            "problem": report.problem[:500],
        },
    )
    return report.intact
