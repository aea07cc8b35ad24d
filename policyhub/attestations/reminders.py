"""Who gets a campaign reminder or escalation today, and sending them.

Every email goes through ``notifications.services.send_once``. Reminders use
``daily_key("campaign-reminder", campaign, person)`` and escalations
``daily_key("campaign-escalation", campaign, manager)``, so each person gets
at most one of each per campaign and day, whatever the number of beat ticks,
task retries or workers.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ..notifications.services import daily_key, send_once
from ..policies.models import PolicyPage
from .models import Assignment, Campaign
from .system import system_user

logger = logging.getLogger(__name__)


def reminder_days_before():
    return sorted(set(getattr(settings, "POLICYHUB_CAMPAIGN_REMINDER_DAYS_BEFORE", [7, 1])))


def escalation_after_days():
    return getattr(settings, "POLICYHUB_CAMPAIGN_ESCALATION_AFTER_DAYS", 7)


def _outstanding(campaign_id):
    return Assignment.objects.filter(
        campaign_id=campaign_id,
        campaign__status=Campaign.Status.OPEN,
        status=Assignment.Status.PENDING,
        user__is_active=True,
    )


def _reminder_due(today):
    """Match assignments due in one of the reminder offsets, due today, or past due."""
    days = [today + timedelta(days=offset) for offset in reminder_days_before()]
    return Q(due_date__in=days) | Q(due_date__lte=today)


def reminder_recipient_ids(campaign_id, today):
    """Return the ids of people to remind today about ``campaign_id``."""
    people = _outstanding(campaign_id).filter(_reminder_due(today))
    return list(people.order_by("user_id").values_list("user_id", flat=True).distinct())


def _escalation_candidates(campaign_id, today):
    cutoff = today - timedelta(days=escalation_after_days())
    return _outstanding(campaign_id).filter(
        grace_until__lte=cutoff,
        escalated_at__isnull=True,
        user__manager__isnull=False,
        user__manager__is_active=True,
    )


def escalation_manager_ids(campaign_id, today):
    """Return the ids of managers with reports not yet escalated in ``campaign_id``."""
    candidates = _escalation_candidates(campaign_id, today)
    return list(
        candidates.order_by("user__manager_id")
        .values_list("user__manager_id", flat=True)
        .distinct()
    )


def _policy_urls(policy_ids):
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    pages = PolicyPage.objects.filter(pk__in=set(policy_ids))
    return {page.pk: f"{base}{page.url}" for page in pages}


def send_reminders(campaign_id, user_ids, day, actor):
    """Email each listed person their outstanding policies in the campaign.

    Return how many emails were sent. A person who acknowledged in the
    meantime, was deactivated, or was reminded earlier today gets nothing.
    """
    today = day
    assignments = (
        _outstanding(campaign_id)
        .filter(user_id__in=user_ids)
        .filter(_reminder_due(today))
        .select_related("user", "version", "campaign")
        .order_by("user_id", "due_date", "version__title")
    )
    by_user = defaultdict(list)
    for assignment in assignments:
        by_user[assignment.user_id].append(assignment)
    urls = _policy_urls(a.version.policy_id for items in by_user.values() for a in items)
    sent = 0
    for items in by_user.values():
        recipient = items[0].user
        campaign = items[0].campaign
        overdue = any(a.due_date < today for a in items)
        subject = (
            f"Overdue: acknowledge {len(items)} polic{'y' if len(items) == 1 else 'ies'}"
            if overdue
            else f"Reminder: acknowledge {len(items)} polic{'y' if len(items) == 1 else 'ies'}"
            f" by {items[0].due_date:%d %b %Y}"
        )
        context = {
            "campaign_name": campaign.name,
            "overdue": overdue,
            "items": [
                {
                    "title": a.version.title,
                    "label": a.version.label,
                    "due_date": a.due_date,
                    "overdue": a.due_date < today,
                    "url": urls.get(a.version.policy_id, ""),
                }
                for a in items
            ],
        }
        key = daily_key("campaign-reminder", campaign_id, recipient.pk, day=today)
        if send_once(key, "campaign-reminder", recipient, subject,
                     "notifications/campaign_reminder", context, actor):
            sent += 1
    return sent


def send_escalations(campaign_id, manager_ids, day, actor):
    """Tell each listed manager how many reports are overdue, once per report.

    The email carries counts, policy titles and due dates only; names are on
    the team dashboard behind sign-in. Assignments are marked escalated after
    the email is sent, so the same report is not escalated again.
    """
    today = day
    candidates = (
        _escalation_candidates(campaign_id, today)
        .filter(user__manager_id__in=manager_ids)
        .select_related("user__manager", "version", "campaign")
        .order_by("user__manager_id", "version__title")
    )
    by_manager = defaultdict(list)
    for assignment in candidates:
        by_manager[assignment.user.manager_id].append(assignment)
    urls = _policy_urls(a.version.policy_id for items in by_manager.values() for a in items)
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    actor_user = None
    sent = 0
    for items in by_manager.values():
        manager = items[0].user.manager
        campaign = items[0].campaign
        policies = {}
        for a in items:
            entry = policies.setdefault(
                a.version_id,
                {"title": a.version.title, "label": a.version.label,
                 "url": urls.get(a.version.policy_id, ""), "people": set(),
                 "due_date": a.due_date},
            )
            entry["people"].add(a.user_id)
            entry["due_date"] = min(entry["due_date"], a.due_date)
        people = {a.user_id for a in items}
        context = {
            "campaign_name": campaign.name,
            "people_count": len(people),
            "items": [{**p, "people_count": len(p["people"])} for p in policies.values()],
            "team_url": f"{base}{reverse('campaigns:team')}",
        }
        subject = f"Escalation: {len(people)} of your team overdue on policy attestation"
        key = daily_key("campaign-escalation", campaign_id, manager.pk, day=today)
        if not send_once(key, "campaign-escalation", manager, subject,
                         "notifications/campaign_escalation", context, actor):
            continue
        sent += 1
        actor_user = actor_user or system_user()
        now = timezone.now()
        for a in items:
            a.escalated_at = now
        bulk_update_with_history(
            items, Assignment, ["escalated_at"], default_user=actor_user,
            default_change_reason="Escalated to line manager",
        )
    return sent
