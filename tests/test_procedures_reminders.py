# ruff: noqa: F811 - pytest fixtures imported from procedure_fixtures are redefined as arguments
"""Reminders to performers and escalation of overdue runs to line managers,
each at most once per person, run and day."""

import datetime

import pytest
from django.core import mail

from policyhub.procedures import services
from policyhub.procedures.reminders import send_escalations, send_reminders

from .procedure_fixtures import (  # noqa: F401 - fixtures
    perform_all,
    performers,
    procedure,
)

# send_once commits its claim before sending, so these tests need real commits.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def run(procedure):
    return services.create_scheduled_run(procedure)[0]


@pytest.fixture
def completed(run, performers):
    perform_all(run, performers["performer"])
    return services.complete_run(run, performers["performer"])


def test_overdue_escalation_once_per_day(run, performers, settings):
    settings.PROCEDURE_ESCALATION_AFTER_DAYS = 2
    performer = performers["performer"]
    services.start_run(run, performer)
    day = run.due_date + datetime.timedelta(days=3)
    assert send_escalations(day, "test") == 1
    assert send_escalations(day, "test") == 0
    assert send_escalations(day + datetime.timedelta(days=1), "test") == 1
    escalations = [m for m in mail.outbox if m.subject.startswith("Escalation")]
    assert [m.to for m in escalations] == [[performers["manager"].email]] * 2
    assert "Performer" not in escalations[0].body


def test_no_escalation_before_delay(run, performers, settings):
    settings.PROCEDURE_ESCALATION_AFTER_DAYS = 2
    services.start_run(run, performers["performer"])
    assert send_escalations(run.due_date + datetime.timedelta(days=2), "test") == 0


def test_reminders_once_per_person_and_day(run, performers):
    day = run.due_date + datetime.timedelta(days=1)
    sent = send_reminders(day, "test")
    assert sent == 2  # both Security Operations members
    assert send_reminders(day, "test") == 0
    # Publication also sends Wagtail's workflow emails, so pick the reminders.
    reminders = [m for m in mail.outbox if m.subject.startswith(("Overdue:", "Due:"))]
    assert len(reminders) == 2
    assert all(m.subject.startswith("Overdue:") for m in reminders)
    assert sorted(m.to[0] for m in reminders) == sorted(
        [performers["performer"].email, performers["colleague"].email]
    )


def test_completed_run_gets_no_reminder(completed, performers):
    services.sign_off(completed, performers["owner2"])
    assert send_reminders(completed.due_date + datetime.timedelta(days=1), "test") == 0
