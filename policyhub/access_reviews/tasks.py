"""Background work for access reviews. Tasks take ids, and a repeat changes nothing."""

import logging

from celery import shared_task

from ..attestations.tasks import RETRY, _day, actor_label

logger = logging.getLogger(__name__)


@shared_task(**RETRY)
def start_quarterly_review_task(self, day=None):
    """Start the review of the quarter that ended before ``day`` (ISO date).

    The beat runs this on the first day of each quarter. A review of that
    period that exists already, started by hand or by an earlier run, is left
    as it is. Return the review's id.
    """
    from .periods import previous_quarter_label
    from .services import start_review

    period = previous_quarter_label(_day(day))
    review, created = start_review(period, system_actor=actor_label(self))
    logger.info("Quarterly access review %s: %s", period, "started" if created else "exists")
    return review.pk


@shared_task(**RETRY)
def daily_access_review_task(self, day=None):
    """Close leavers' items, then send today's reminders and escalations for
    every open review. Return how many emails were sent."""
    from .models import AccessReview
    from .reminders import send_escalations, send_reminders
    from .services import close_items_of_deactivated

    today = _day(day)
    label = actor_label(self)
    sent = 0
    for review_id in AccessReview.objects.open().values_list("pk", flat=True):
        close_items_of_deactivated(review_ids=[review_id])
        sent += send_reminders(review_id, today, label)
        sent += send_escalations(review_id, today, label)
    return sent
