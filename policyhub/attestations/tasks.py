"""Background work for campaigns. Tasks take ids, and a repeat changes nothing.

The beat schedule (``CELERY_BEAT_SCHEDULE``) runs the dispatchers daily; they
fan out in batches to tasks that each handle a list of people.
"""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, OperationalError
from django.utils import timezone

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


def actor_label(task):
    worker = task.request.hostname or "eager"
    return f"celery:{task.name}@{worker}:{task.request.id}"


def fanout_batch_size():
    return getattr(settings, "POLICYHUB_CAMPAIGN_FANOUT_BATCH_SIZE", 500)


def _day(value):
    return datetime.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(**RETRY)
def launch_campaign_task(self, campaign_id, job_id=None):
    """Enrol the audience of a campaign and open it."""
    from .campaigns import launch

    return launch(campaign_id, job_id, actor_label=actor_label(self))


@shared_task(**RETRY)
def enrol_user_task(self, user_id):
    """Enrol one person in the open campaigns whose audience includes them."""
    from .campaigns import enrol_user_in_open_campaigns

    return enrol_user_in_open_campaigns(user_id)


@shared_task(**RETRY)
def enrol_open_campaigns_task(self):
    """Catch up enrolments the signals missed (bulk imports, direct SQL)."""
    from .campaigns import enrol
    from .models import Campaign

    return sum(enrol(campaign) for campaign in Campaign.objects.open())


@shared_task(**RETRY)
def dispatch_reminders_task(self, day=None):
    """Queue today's reminders and escalations for every open campaign.

    ``day`` (ISO date) is fixed when the dispatcher runs, so a batch retried
    after midnight still uses the first day's dedupe key.
    """
    from .models import Campaign
    from .reminders import escalation_manager_ids, reminder_recipient_ids

    today = _day(day)
    queued = 0
    for campaign_id in Campaign.objects.open().values_list("pk", flat=True):
        recipients = reminder_recipient_ids(campaign_id, today)
        for batch in batches(recipients, fanout_batch_size()):
            send_reminder_batch_task.delay(campaign_id, batch, today.isoformat())
            queued += 1
        managers = escalation_manager_ids(campaign_id, today)
        for batch in batches(managers, fanout_batch_size()):
            send_escalation_batch_task.delay(campaign_id, batch, today.isoformat())
            queued += 1
    logger.info("Queued %s reminder and escalation batches for %s", queued, today)
    return queued


@shared_task(**RETRY)
def send_reminder_batch_task(self, campaign_id, user_ids, day):
    from .reminders import send_reminders

    return send_reminders(campaign_id, user_ids, _day(day), actor_label(self))


@shared_task(**RETRY)
def send_escalation_batch_task(self, campaign_id, manager_ids, day):
    from .reminders import send_escalations

    return send_escalations(campaign_id, manager_ids, _day(day), actor_label(self))


@shared_task(**RETRY)
def reopen_lapsed_task(self):
    """Reopen assignments whose periodic re-attestation has lapsed."""
    from .campaigns import reopen_lapsed_assignments

    return reopen_lapsed_assignments()


@shared_task(**RETRY)
def version_published_task(self, version_id):
    """Start a re-attestation for a major version, or notify of a minor one."""
    from ..policies.models import PolicyVersion
    from .campaigns import policy_audience_ids, start_reattestation

    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    if version.minor == 0:
        campaign = start_reattestation(version_id)
        return campaign.pk if campaign else None
    for batch in batches(policy_audience_ids(version.policy), fanout_batch_size()):
        send_version_notice_batch_task.delay(version_id, batch)
    return None


@shared_task(**RETRY)
def send_version_notice_batch_task(self, version_id, user_ids):
    """Tell each person a minor version was published; no action is needed."""
    from django.contrib.auth import get_user_model

    from ..notifications.services import send_once
    from ..policies.models import PolicyVersion

    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    context = {
        "title": version.title,
        "label": version.label,
        "summary": version.change_summary,
        "url": f"{base}{version.policy.url}",
    }
    subject = f"Updated: {version.title} {version.label} (no action needed)"
    sent = 0
    for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True):
        key = f"version-notice:{version_id}:{user.pk}"
        if send_once(key, "version-notice", user, subject,
                     "notifications/version_notice", context, actor_label(self)):
            sent += 1
    return sent


@shared_task(**RETRY)
def build_export_task(self, job_id):
    """Write a campaign's CSV, XLSX or signed PDF report into its job row."""
    from .exports import build_export

    return build_export(job_id)
