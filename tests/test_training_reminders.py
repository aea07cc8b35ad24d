"""Training reminders and escalations through the shared send-once mechanism:
at most one email per person, assignment and day."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from policyhub.accounts import roles
from policyhub.notifications.models import Delivery
from policyhub.training.models import TrainingAssignment, TrainingCompletion
from policyhub.training.reminders import (
    escalation_ids,
    reminder_ids,
    send_escalations,
    send_reminders,
)
from policyhub.training.tasks import daily_training_task

from .conftest import make_user
from .test_training_support import take_quiz, write_module

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def team(tmp_path):
    manager = make_user("manager", roles.EMPLOYEES)
    member = make_user("member", roles.EMPLOYEES)
    member.manager = manager
    member.save()
    module = write_module(tmp_path, slug="reminded", assign=[{"target": "group",
                                                              "group": roles.EMPLOYEES}])
    mail.outbox = []
    return manager, member, module


def overdue_by(member, module, days):
    today = timezone.localdate()
    TrainingAssignment.objects.filter(user=member, module=module).update(
        due_date=today - timedelta(days=days)
    )
    return TrainingAssignment.objects.get(user=member, module=module)


def test_reminder_sent_once_per_day(team):
    manager, member, module = team
    assignment = overdue_by(member, module, 1)
    today = timezone.localdate()
    ids = reminder_ids(today)
    assert assignment.pk in ids
    assert send_reminders(ids, today, "test") == 1
    assert send_reminders(ids, today, "test") == 0
    to_member = [m for m in mail.outbox if m.to == [member.email]]
    assert len(to_member) == 1
    assert to_member[0].subject == f"Overdue training: {module.title}"
    assert send_reminders(ids, today + timedelta(days=1), "test") == 1
    assert Delivery.objects.filter(kind="training-reminder", recipient=member).count() == 2


def test_reminder_before_due_date(team):
    manager, member, module = team
    today = timezone.localdate()
    TrainingAssignment.objects.filter(module=module).update(due_date=today + timedelta(days=7))
    assert len(reminder_ids(today)) == 2
    TrainingAssignment.objects.filter(module=module).update(due_date=today + timedelta(days=3))
    assert reminder_ids(today) == []


def test_completed_training_gets_no_reminder(team):
    manager, member, module = team
    overdue_by(member, module, 2)
    take_quiz(member, module)
    assert not TrainingAssignment.objects.filter(
        pk__in=reminder_ids(timezone.localdate()), user=member
    ).exists()


def test_escalation_once_per_day(team, settings):
    settings.TRAINING_ESCALATION_AFTER_DAYS = 7
    manager, member, module = team
    today = timezone.localdate()
    overdue_by(member, module, 6)
    assert escalation_ids(today) == []
    assignment = overdue_by(member, module, 7)
    ids = escalation_ids(today)
    assert ids == [assignment.pk]
    assert send_escalations(ids, today, "test") == 1
    assert send_escalations(ids, today, "test") == 0
    escalations = [m for m in mail.outbox if m.to == [manager.email]]
    assert len(escalations) == 1
    assert member.email not in escalations[0].body
    assert "/training/team/" in escalations[0].body


def test_exhausted_attempts_notify_manager(team):
    manager, member, module = team
    take_quiz(member, module, right=0)
    take_quiz(member, module, right=0)
    assignment = TrainingAssignment.objects.get(user=member, module=module)
    assert assignment.attempts_exhausted_at is not None
    notices = [m for m in mail.outbox if m.to == [manager.email]]
    assert len(notices) == 1
    assert "attempts" in notices[0].subject


def test_exhausted_without_manager_only_flags(team):
    manager, member, module = team
    loner = make_user("loner", roles.EMPLOYEES)
    mail.outbox = []
    take_quiz(loner, module, right=0)
    take_quiz(loner, module, right=0)
    assert TrainingAssignment.objects.get(user=loner, module=module).attempts_exhausted_at
    assert mail.outbox == []


def test_passing_issues_certificate_after_commit(team):
    manager, member, module = team
    take_quiz(member, module)
    completion = TrainingCompletion.objects.get(assignment__user=member)
    assert completion.certificate
    assert completion.certificate_issued_at is not None


def test_daily_task_reopens_and_reminds(team):
    manager, member, module = team
    take_quiz(member, module)
    assignment = TrainingAssignment.objects.get(user=member, module=module)
    day = assignment.valid_until + timedelta(days=15)
    mail.outbox = []
    daily_training_task.delay(day.isoformat())
    assignment.refresh_from_db()
    assert assignment.cycle == 2
    assert assignment.status == TrainingAssignment.Status.OPEN
    assert assignment.history.first().history_user.username == "system"
    assert TrainingCompletion.objects.filter(assignment=assignment).count() == 1
    daily_training_task.delay(day.isoformat())
    assert TrainingAssignment.objects.get(pk=assignment.pk).cycle == 2
    assert not [m for m in mail.outbox if m.to == [member.email]]
    day_before_due = assignment.due_date - timedelta(days=1)
    daily_training_task.delay(day_before_due.isoformat())
    daily_training_task.delay(day_before_due.isoformat())
    to_member = [m for m in mail.outbox if m.to == [member.email]]
    assert len(to_member) == 1
