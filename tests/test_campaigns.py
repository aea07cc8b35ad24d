"""Attestation campaigns: launch, enrolment, completion, re-attestation,
extensions, reminders and escalation."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from policyhub.accounts import roles
from policyhub.attestations import dashboard
from policyhub.attestations.campaigns import (
    create_campaign,
    extend_due_date,
    launch,
    reopen_lapsed_assignments,
)
from policyhub.attestations.models import Acknowledgement, Assignment, Campaign
from policyhub.attestations.services import acknowledge, statuses_for
from policyhub.attestations.system import SYSTEM_USERNAME
from policyhub.attestations.tasks import dispatch_reminders_task, version_published_task
from policyhub.notifications.models import Delivery

from .conftest import edit_and_approve, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    """Start each test without the cached dashboard-link visibility."""
    from django.core.cache import cache

    cache.clear()

# send_once commits its claim, so tests that send email run outside the
# per-test transaction; serialized_rollback restores the migration data.
sends_email = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EMPLOYEE_NAMES = ("author", "owner", "owner2", "approver", "approver2", "employee")


def run_campaign(admin, versions, capture, due_in_days=14, **kwargs):
    """Create a campaign and run its launch task as the commit would."""
    due = timezone.localdate() + timedelta(days=due_in_days)
    with capture(execute=True):
        job = create_campaign(admin, name="Annual attestation", versions=versions,
                              due_date=due, **kwargs)
    job.refresh_from_db()
    return job.campaign


@pytest.fixture
def campaign(published_policy, personas, django_capture_on_commit_callbacks):
    _, version = published_policy
    return run_campaign(personas["author"], [version], django_capture_on_commit_callbacks)


def make_overdue(campaign, days):
    """Move every pending assignment's due date ``days`` into the past."""
    due = timezone.localdate() - timedelta(days=days)
    Assignment.objects.filter(campaign=campaign).update(due_date=due, grace_until=due)


def test_launch_assigns_each_employee_once(campaign, personas):
    assignments = Assignment.objects.filter(campaign=campaign)
    assigned = set(assignments.values_list("user__username", flat=True))

    assert campaign.status == Campaign.Status.OPEN
    assert assigned == set(EMPLOYEE_NAMES)
    assert assignments.count() == len(EMPLOYEE_NAMES)
    assert campaign.jobs.get().status == "done"
    assert campaign.jobs.get().percent == 100


def test_launch_records_system_user_history(campaign):
    history = Assignment.history.filter(campaign_id=campaign.pk)

    assert history.count() == len(EMPLOYEE_NAMES)
    assert set(history.values_list("history_user__username", flat=True)) == {SYSTEM_USERNAME}
    assert not history.filter(history_user__isnull=True).exists()


def test_repeated_launch_adds_nothing(campaign):
    assert launch(campaign.pk) == 0
    assert Assignment.objects.filter(campaign=campaign).count() == len(EMPLOYEE_NAMES)


def test_non_admin_cannot_create_campaign(published_policy, personas):
    _, version = published_policy
    with pytest.raises(PermissionDenied):
        create_campaign(personas["employee"], name="x", versions=[version],
                        due_date=timezone.localdate())


def test_past_due_date_rejected(published_policy, personas):
    _, version = published_policy
    with pytest.raises(ValidationError, match="in the past"):
        create_campaign(personas["author"], name="x", versions=[version],
                        due_date=timezone.localdate() - timedelta(days=1))


def test_department_audience_targets_department(
    published_policy, personas, django_capture_on_commit_callbacks
):
    _, version = published_policy
    personas["employee"].department = "Treasury"
    personas["employee"].save()
    campaign = run_campaign(
        personas["author"], [version], django_capture_on_commit_callbacks,
        audience="departments", departments=["Treasury"],
    )
    assigned = list(campaign.assignments.values_list("user__username", flat=True))
    assert assigned == ["employee"]


def test_earlier_acknowledgement_completes_on_launch(
    published_policy, personas, django_capture_on_commit_callbacks
):
    _, version = published_policy
    ack, _ = acknowledge(personas["employee"], version, version.content_sha256)
    campaign = run_campaign(personas["author"], [version], django_capture_on_commit_callbacks)

    assignment = campaign.assignments.get(user=personas["employee"])
    assert assignment.status == Assignment.Status.COMPLETED
    assert assignment.acknowledgement == ack


def test_acknowledging_completes_assignment(campaign, personas, published_policy):
    _, version = published_policy
    employee = personas["employee"]
    acknowledge(employee, version, version.content_sha256)

    assignment = campaign.assignments.get(user=employee)
    assert assignment.status == Assignment.Status.COMPLETED
    assert assignment.acknowledgement.user == employee
    latest = assignment.history.latest()
    assert latest.history_user == employee
    assert latest.history_change_reason == "Acknowledged"


def test_double_acknowledgement_keeps_one_record(campaign, personas, published_policy, client):
    from django.urls import reverse

    _, version = published_policy
    employee = personas["employee"]
    client.force_login(employee)
    url = reverse("attestations:acknowledge", args=(version.pk,))
    data = {"content_sha256": version.content_sha256, "confirm": "on"}
    client.post(url, data)
    client.post(url, data)

    assert Acknowledgement.objects.filter(user=employee, version=version).count() == 1
    assignment = campaign.assignments.get(user=employee)
    assert assignment.status == Assignment.Status.COMPLETED
    completions = assignment.history.filter(status=Assignment.Status.COMPLETED)
    assert completions.count() == 1


def test_deactivated_user_leaves_denominator(campaign, personas):
    scope = dashboard.Scope(everyone=True)
    before = dashboard.totals(dashboard.counted_assignments(scope, campaign))
    employee = personas["employee"]
    employee.is_active = False
    employee.save()
    after = dashboard.totals(dashboard.counted_assignments(scope, campaign))

    assert before["total"] == len(EMPLOYEE_NAMES)
    assert after["total"] == len(EMPLOYEE_NAMES) - 1
    assert campaign.assignments.filter(user=employee).exists()


def test_new_joiner_enrolled_while_open(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        joiner = make_user("joiner", roles.EMPLOYEES)
    assert campaign.assignments.filter(user=joiner).count() == 1


def test_group_change_enrols_person(campaign, personas, django_capture_on_commit_callbacks):
    outsider = personas["outsider"]
    with django_capture_on_commit_callbacks(execute=True):
        outsider.groups.add(Group.objects.get(name=roles.EMPLOYEES))
    assert campaign.assignments.filter(user=outsider).count() == 1


def test_closed_campaign_enrols_nobody(campaign, personas, django_capture_on_commit_callbacks):
    from policyhub.attestations.campaigns import close_campaign

    close_campaign(campaign, personas["author"])
    with django_capture_on_commit_callbacks(execute=True):
        joiner = make_user("joiner", roles.EMPLOYEES)
    assert not campaign.assignments.filter(user=joiner).exists()


def test_major_version_starts_reattestation(
    campaign, personas, published_policy, django_capture_on_commit_callbacks
):
    page, _ = published_policy
    with django_capture_on_commit_callbacks(execute=True):
        major = edit_and_approve(page, personas, "major", "Rewritten.", "New rule.")

    reattestation = Campaign.objects.get(source_version=major)
    assert reattestation.kind == Campaign.Kind.REATTESTATION
    assert reattestation.status == Campaign.Status.OPEN
    assert reattestation.assignments.count() == len(EMPLOYEE_NAMES)
    superseded = campaign.assignments.filter(status=Assignment.Status.SUPERSEDED)
    assert superseded.count() == len(EMPLOYEE_NAMES)
    assert version_published_task.apply(args=[major.pk]).get() == reattestation.pk
    assert Campaign.objects.filter(source_version=major).count() == 1


@sends_email
def test_minor_version_only_notifies(
    campaign, personas, published_policy, django_capture_on_commit_callbacks
):
    page, _ = published_policy
    with django_capture_on_commit_callbacks(execute=True):
        minor = edit_and_approve(page, personas, "minor", "Typo fixed.", "Clarified.")

    assert not Campaign.objects.filter(kind=Campaign.Kind.REATTESTATION).exists()
    notices = [m for m in mail.outbox if "no action needed" in m.subject]
    assert len(notices) == len(EMPLOYEE_NAMES)
    assert minor.label in notices[0].subject
    assert page.url in notices[0].body
    statuses = {s.policy.pk: s for s in statuses_for(personas["owner"])}
    assert statuses[page.pk].current == minor


def test_reattestation_off_starts_nothing(
    campaign, personas, published_policy, django_capture_on_commit_callbacks
):
    page, _ = published_policy
    page.reattest_on_major_version = False
    page.save_revision(user=personas["author"])
    with django_capture_on_commit_callbacks(execute=True):
        edit_and_approve(page, personas, "major", "Rewritten.", "New rule.")
    assert not Campaign.objects.filter(kind=Campaign.Kind.REATTESTATION).exists()


def test_annual_reopen_keeps_history(campaign, personas, published_policy):
    page, version = published_policy
    page.attestation_interval_months = 12
    page.save(update_fields=["attestation_interval_months"])
    employee = personas["employee"]
    first, _ = acknowledge(employee, version, version.content_sha256)

    later = timezone.now() + relativedelta(months=12, days=1)
    assert reopen_lapsed_assignments(now=later) == 1

    assignment = campaign.assignments.get(user=employee)
    assert assignment.status == Assignment.Status.PENDING
    assert assignment.cycle == 2
    completed_rows = assignment.history.filter(
        status=Assignment.Status.COMPLETED, acknowledgement=first
    )
    assert completed_rows.exists()
    reopened = assignment.history.latest()
    assert reopened.history_user.username == SYSTEM_USERNAME
    assert reopened.history_change_reason == "Re-attestation period lapsed"
    assert Acknowledgement.objects.filter(pk=first.pk).exists()


def test_lapsed_acknowledgement_starts_new_cycle(campaign, personas, published_policy):
    page, version = published_policy
    page.attestation_interval_months = 12
    page.save(update_fields=["attestation_interval_months"])
    employee = personas["employee"]
    first, _ = acknowledge(employee, version, version.content_sha256)
    later = timezone.now() + relativedelta(months=12, days=1)
    reopen_lapsed_assignments(now=later)

    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=later):
        second, created = acknowledge(employee, version, version.content_sha256)
        again, created_again = acknowledge(employee, version, version.content_sha256)

    assert created
    assert second.cycle == 2
    assert not created_again
    assert again.pk == second.pk
    assert campaign.assignments.get(user=employee).status == Assignment.Status.COMPLETED


def test_extension_recorded_with_reason(campaign, personas):
    assignment = campaign.assignments.get(user=personas["employee"])
    new_due = assignment.due_date + timedelta(days=10)
    extend_due_date(assignment, new_due, "Long-term sick leave.", personas["author"])

    assignment.refresh_from_db()
    extension = assignment.extensions.get()
    assert assignment.due_date == new_due
    assert extension.reason == "Long-term sick leave."
    assert extension.granted_by == personas["author"]
    assert assignment.history.latest().history_user == personas["author"]


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [(10, "  ", "Give the reason"), (0, "Leave.", "must be after"), (-3, "Leave.", "must be after")],
)
def test_invalid_extension_rejected(campaign, personas, days, reason, message):
    assignment = campaign.assignments.get(user=personas["employee"])
    with pytest.raises(ValidationError, match=message):
        extend_due_date(
            assignment, assignment.due_date + timedelta(days=days), reason, personas["author"]
        )
    assert not assignment.extensions.exists()


def test_employee_cannot_extend(campaign, personas):
    assignment = campaign.assignments.get(user=personas["employee"])
    with pytest.raises(PermissionDenied):
        extend_due_date(
            assignment, assignment.due_date + timedelta(days=5), "Leave.", personas["employee"]
        )


def reminder_mail(username):
    return [m for m in mail.outbox if m.to == [f"{username}@example.test"]]


@sends_email
def test_reminder_sent_once_per_day(campaign, personas, published_policy):
    page, version = published_policy
    make_overdue(campaign, 0)
    dispatch_reminders_task.apply()
    dispatch_reminders_task.apply()

    sent = reminder_mail("employee")
    assert len(sent) == 1
    message = sent[0]
    assert version.title in message.body
    assert page.url in message.body
    assert timezone.localdate().strftime("%-d %B %Y") in message.body
    assert message.alternatives[0][1] == "text/html"
    assert "@example.test" not in message.body
    deliveries = Delivery.objects.filter(kind="campaign-reminder")
    assert deliveries.count() == len(EMPLOYEE_NAMES)


@sends_email
def test_reminder_schedule_before_and_overdue(campaign, personas, settings):
    settings.POLICYHUB_CAMPAIGN_REMINDER_DAYS_BEFORE = [7]
    due = campaign.assignments.first().due_date
    days = {
        "eight_before": due - timedelta(days=8),
        "seven_before": due - timedelta(days=7),
        "due": due,
        "overdue": due + timedelta(days=3),
    }
    sent = {}
    for name, day in days.items():
        before = len(mail.outbox)
        dispatch_reminders_task.apply(kwargs={"day": day.isoformat()})
        sent[name] = len(mail.outbox) - before
    assert sent == {
        "eight_before": 0,
        "seven_before": len(EMPLOYEE_NAMES),
        "due": len(EMPLOYEE_NAMES),
        "overdue": len(EMPLOYEE_NAMES),
    }


@sends_email
def test_completed_person_not_reminded(campaign, personas, published_policy):
    _, version = published_policy
    acknowledge(personas["employee"], version, version.content_sha256)
    make_overdue(campaign, 1)
    dispatch_reminders_task.apply()
    assert reminder_mail("employee") == []
    assert len(reminder_mail("owner")) == 1


@sends_email
def test_escalation_reaches_manager_once(campaign, personas, settings):
    settings.POLICYHUB_CAMPAIGN_ESCALATION_AFTER_DAYS = 3
    manager = personas["approver"]
    for name in ("employee", "owner2"):
        personas[name].manager = manager
        personas[name].save()
    make_overdue(campaign, 5)
    today = timezone.localdate()
    for offset in (0, 0, 1, 2):
        day = (today + timedelta(days=offset)).isoformat()
        dispatch_reminders_task.apply(kwargs={"day": day})

    escalations = [m for m in mail.outbox if m.subject.startswith("Escalation")]
    assert len(escalations) == 1
    assert escalations[0].to == [manager.email]
    assert "2 people" in escalations[0].body
    assert "Employee" not in escalations[0].body
    assigned = campaign.assignments.filter(user__manager=manager)
    assert not assigned.filter(escalated_at__isnull=True).exists()
    history = Assignment.history.filter(history_change_reason="Escalated to line manager")
    assert set(history.values_list("history_user__username", flat=True)) == {SYSTEM_USERNAME}


@sends_email
def test_not_escalated_before_threshold(campaign, personas, settings):
    settings.POLICYHUB_CAMPAIGN_ESCALATION_AFTER_DAYS = 7
    personas["employee"].manager = personas["approver"]
    personas["employee"].save()
    make_overdue(campaign, 6)
    dispatch_reminders_task.apply()
    assert not [m for m in mail.outbox if m.subject.startswith("Escalation")]


@sends_email
def test_extension_stops_overdue_reminders(campaign, personas):
    make_overdue(campaign, 2)
    assignment = campaign.assignments.get(user=personas["employee"])
    extend_due_date(
        assignment, timezone.localdate() + timedelta(days=20), "Leave.", personas["author"]
    )
    dispatch_reminders_task.apply()
    assert reminder_mail("employee") == []


@sends_email
def test_deactivated_user_not_reminded(campaign, personas):
    make_overdue(campaign, 1)
    personas["employee"].is_active = False
    personas["employee"].save()
    dispatch_reminders_task.apply()
    assert reminder_mail("employee") == []
