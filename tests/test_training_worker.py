"""Training tasks through a real Celery worker consuming from Redis: a
duplicated daily run and a retried task send one reminder and one suspension
notice per person, and a repeated rule run creates no duplicate assignments."""

import smtplib
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends import locmem
from django.utils import timezone

from policyhub.accounts import roles
from policyhub.notifications.models import Delivery
from policyhub.training.models import AccessSuspension, TrainingAssignment, TrainingRule
from policyhub.training.services import create_rule
from policyhub.training.tasks import daily_training_task, run_rule_task, send_reminders_task

from .conftest import make_user
from .test_training_support import write_module
from .test_worker import (  # noqa: F401
    celery_worker,
    needs_server_database,
    redis_available,
    wait_for,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not redis_available(), reason="Redis is not reachable at CELERY_BROKER_URL"),
    needs_server_database,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def overdue_team(celery_worker, tmp_path):  # noqa: F811
    """Two people with a module overdue by one day and one overdue long
    enough for suspension."""
    admin = make_user("admin", roles.COMPLIANCE_ADMINS)
    readers = [make_user(f"reader{n}", roles.EMPLOYEES) for n in range(2)]
    laggard = make_user("laggard", roles.EMPLOYEES)
    module = write_module(tmp_path, slug="worker-module")
    today = timezone.localdate()
    for person, days in [(readers[0], 1), (readers[1], 1), (laggard, 45)]:
        row = TrainingAssignment.objects.get(user=person, module=module)
        row.due_date = today - timedelta(days=days)
        row.save()
    mail.outbox = []
    return admin, module, readers, laggard


def sent(kind, count):
    return Delivery.objects.filter(kind=kind, status="sent").count() == count


def test_duplicate_daily_run_sends_one_reminder(overdue_team):
    _, module, readers, laggard = overdue_team
    day = timezone.localdate().isoformat()

    daily_training_task.delay(day)
    daily_training_task.delay(day)
    ids = list(TrainingAssignment.objects.filter(module=module).values_list("pk", flat=True))
    send_reminders_task.delay(ids, day)

    assert wait_for(lambda: sent("training-reminder", 3), timeout=180)
    assert wait_for(lambda: sent("training-suspended", 1), timeout=60)
    time.sleep(2)
    for person in [*readers, laggard]:
        reminders = [
            m
            for m in mail.outbox
            if m.to == [person.email]
            and "training" in m.subject.lower()
            and "Confidential" not in m.subject
        ]
        assert len(reminders) == 1, person.email
    assert AccessSuspension.objects.filter(user=laggard).count() == 1
    notices = [m for m in mail.outbox if "Confidential" in m.subject]
    assert [m.to for m in notices] == [[laggard.email]]
    suspension = AccessSuspension.objects.get(user=laggard)
    assert suspension.started_by.startswith("celery:policyhub.training.tasks.")
    assert "@eager:" not in suspension.started_by


def test_retried_reminder_sends_once(overdue_team, monkeypatch):
    _, module, readers, _ = overdue_team
    reader = readers[0]
    row = TrainingAssignment.objects.get(user=reader, module=module)
    calls = {"count": 0}
    original = locmem.EmailBackend.send_messages

    def fail_first(self, messages):
        calls["count"] += 1
        if calls["count"] == 1:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return original(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", fail_first)
    day = timezone.localdate().isoformat()
    send_reminders_task.delay([row.pk], day)

    assert wait_for(lambda: sent("training-reminder", 1), timeout=180)
    send_reminders_task.delay([row.pk], day)
    time.sleep(2)
    assert calls["count"] == 2
    assert [m.to for m in mail.outbox] == [[reader.email]]


def test_repeated_rule_run_creates_no_duplicates(overdue_team):
    admin, module, _, _ = overdue_team
    joiner = make_user("joiner", roles.APPROVERS)
    rule = create_rule(admin, module, "group", group=Group.objects.get(name=roles.APPROVERS))
    run_rule_task.delay(rule.pk)
    run_rule_task.delay(rule.pk)

    def settled():
        rule.refresh_from_db()
        runs = rule.history.filter(run_status=TrainingRule.RunStatus.DONE).count()
        return runs >= 3

    assert wait_for(settled, timeout=180)
    assert TrainingAssignment.objects.filter(module=module, user=joiner).count() == 1
    assert TrainingAssignment.objects.filter(module=module).count() == (
        TrainingAssignment.objects.filter(module=module).values("user").distinct().count()
    )
    assert rule.run_status == TrainingRule.RunStatus.DONE
    assert not rule.history.filter(run_status=TrainingRule.RunStatus.FAILED).exists()
    assert rule.run_assigned == 0
    assert rule.history.first().history_user.username == "system"
