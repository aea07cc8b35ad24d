"""Campaign reminders through a real Celery worker consuming from Redis: a
duplicated beat tick and a retried task still send one email per person."""

import smtplib
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.utils import timezone

from policyhub.accounts import roles
from policyhub.attestations.campaigns import create_campaign
from policyhub.attestations.models import Assignment, Campaign
from policyhub.attestations.tasks import dispatch_reminders_task, send_reminder_batch_task
from policyhub.exports.tasks import render_signed_pdf
from policyhub.notifications.models import Delivery

from .conftest import approve, import_one, make_user
from .test_worker import (  # noqa: F401
    celery_worker,
    needs_server_database,
    redis_available,
    wait_for,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not redis_available(), reason="Redis is not reachable at CELERY_BROKER_URL"
    ),
    needs_server_database,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def open_campaign(celery_worker, tmp_path, monkeypatch):  # noqa: F811
    """A campaign launched by the worker, every assignment overdue by a day."""
    personas = {
        "author": make_user("author", roles.COMPLIANCE_ADMINS),
        "owner": make_user("owner", roles.POLICY_OWNERS),
        "approver": make_user("approver", roles.APPROVERS),
    }
    # The signed PDF of the policy is not needed here and would delay the launch.
    monkeypatch.setattr(render_signed_pdf, "delay", lambda version_id: None)
    readers = [make_user(f"reader{n}", roles.EMPLOYEES) for n in range(3)]
    version = approve(import_one(tmp_path), personas)
    job = create_campaign(
        personas["author"], name="Worker campaign", versions=[version],
        due_date=timezone.localdate(),
    )
    campaign = job.campaign
    assert wait_for(
        lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.OPEN,
        timeout=180,
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    Assignment.objects.filter(campaign=campaign).update(due_date=yesterday, grace_until=yesterday)
    mail.outbox = []
    return campaign, readers


def reminders_sent(count):
    return Delivery.objects.filter(kind="campaign-reminder", status="sent").count() == count


def test_duplicate_tick_sends_one_email(open_campaign):
    campaign, readers = open_campaign
    day = timezone.localdate().isoformat()

    dispatch_reminders_task.delay(day)
    dispatch_reminders_task.delay(day)
    send_reminder_batch_task.delay(campaign.pk, [r.pk for r in readers], day)

    assert wait_for(lambda: reminders_sent(len(readers)), timeout=180)
    time.sleep(2)
    for reader in readers:
        received = [m for m in mail.outbox if m.to == [reader.email]]
        assert len(received) == 1, reader.email
    assert len(mail.outbox) == len(readers)


def test_retried_task_sends_one_email(open_campaign, monkeypatch):
    campaign, readers = open_campaign
    reader = readers[0]
    calls = {"count": 0}
    original = locmem.EmailBackend.send_messages

    def fail_first(self, messages):
        calls["count"] += 1
        if calls["count"] == 1:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return original(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", fail_first)
    day = timezone.localdate().isoformat()
    send_reminder_batch_task.delay(campaign.pk, [reader.pk], day)

    assert wait_for(lambda: reminders_sent(1), timeout=180)
    send_reminder_batch_task.delay(campaign.pk, [reader.pk], day)
    time.sleep(2)
    assert calls["count"] == 2
    assert [m.to for m in mail.outbox] == [[reader.email]]
    assert Delivery.objects.get(recipient=reader).status == "sent"
