"""Suspension of access to Confidential information while recurring
training is more than TRAINING_SUSPEND_AFTER_DAYS overdue."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from policyhub.audit.models import AuditEvent
from policyhub.notifications.models import Delivery
from policyhub.policies.models import PolicyPage
from policyhub.training.models import AccessSuspension, TrainingAssignment
from policyhub.training.services import grant_extension
from policyhub.training.tasks import daily_training_task

from .conftest import approve, import_one
from .test_training_support import take_quiz, write_module

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def module(personas, tmp_path):
    return write_module(tmp_path, slug="annual-module")


def overdue_by(user, module, days):
    row = TrainingAssignment.objects.get(user=user, module=module)
    row.due_date = timezone.localdate() - timedelta(days=days)
    row.save()
    return row


def confidential(page):
    PolicyPage.objects.filter(pk=page.pk).update(classification="Confidential")
    page.refresh_from_db()
    return page


def test_daily_task_suspends_after_threshold(personas, module):
    employee, owner = personas["employee"], personas["owner"]
    employee.manager = personas["approver"]
    employee.save()
    overdue_by(employee, module, 31)
    overdue_by(owner, module, 30)
    mail.outbox = []

    daily_training_task.apply()
    daily_training_task.apply()

    suspension = AccessSuspension.objects.get()
    assert suspension.user == employee
    assert suspension.in_force
    assert module.title in suspension.reason
    assert list(suspension.modules.all()) == [module.specific]
    assert suspension.started_by.startswith("celery:policyhub.training.tasks.daily_training_task@")
    assert AuditEvent.objects.filter(action="training.access_suspended").count() == 1
    notices = Delivery.objects.filter(kind="training-suspended")
    assert set(notices.values_list("recipient__username", flat=True)) == {"employee", "approver"}
    suspended_mail = [m for m in mail.outbox if "Confidential" in m.subject]
    assert sorted(m.to[0] for m in suspended_mail) == [
        "approver@example.test",
        "employee@example.test",
    ]
    manager_mail = next(m for m in suspended_mail if m.to == ["approver@example.test"])
    assert "Employee" not in manager_mail.body


def test_threshold_follows_setting(personas, module, settings):
    settings.TRAINING_SUSPEND_AFTER_DAYS = 5
    overdue_by(personas["employee"], module, 6)
    daily_training_task.apply()
    assert AccessSuspension.objects.filter(user=personas["employee"]).exists()


def test_followup_training_never_suspends(personas, module):
    row = overdue_by(personas["employee"], module, 60)
    row.recurring = False
    row.save()
    daily_training_task.apply()
    assert not AccessSuspension.objects.exists()


def test_suspended_person_cannot_open_confidential(client, personas, module, published_policy):
    page, _ = published_policy
    employee = personas["employee"]
    overdue_by(employee, module, 31)
    daily_training_task.apply()
    client.force_login(employee)

    internal = client.get(page.url)
    assert internal.status_code == 200
    confidential(page)
    rejected = client.get(page.url)
    assert rejected.status_code == 403
    text = rejected.content.decode()
    assert "Access to Confidential information suspended" in text
    assert module.title in text
    assert reverse("training:mine") in text
    denied = AuditEvent.objects.filter(action="training.confidential_access_refused")
    assert denied.count() == 1
    assert denied.get().outcome == "denied"

    client.force_login(personas["owner"])
    assert client.get(page.url).status_code == 200


def test_suspended_auditor_cannot_download_confidential_pdf(client, personas, module, tmp_path):
    version = approve(import_one(tmp_path, slug="incident-response"), personas)
    assert version.classification == "Confidential"
    auditor = personas["auditor"]
    overdue_by(auditor, module, 40)
    daily_training_task.apply()
    client.force_login(auditor)
    response = client.get(reverse("exports:signed_pdf", args=[version.pk]))
    assert response.status_code == 403
    assert "Access to Confidential information suspended" in response.content.decode()
    assert AuditEvent.objects.filter(action="training.confidential_access_refused").exists()


def test_completion_lifts_suspension(client, personas, module, published_policy):
    page, _ = published_policy
    confidential(page)
    employee = personas["employee"]
    overdue_by(employee, module, 31)
    daily_training_task.apply()
    assert AccessSuspension.objects.get(user=employee).in_force

    take_quiz(employee, module)

    suspension = AccessSuspension.objects.get(user=employee)
    assert suspension.lifted_at is not None
    assert module.title in suspension.lifted_reason
    assert suspension.lifted_by == f"user:{employee.pk}"
    restored = AuditEvent.objects.get(action="training.access_restored")
    assert restored.actor == employee
    client.force_login(employee)
    assert client.get(page.url).status_code == 200


def test_extension_lifts_suspension(personas, module):
    employee = personas["employee"]
    row = overdue_by(employee, module, 31)
    daily_training_task.apply()
    grant_extension(personas["author"], row, timezone.localdate() + timedelta(days=7), "Long leave")
    assert AccessSuspension.objects.get(user=employee).lifted_at is not None


def test_suspension_shown_to_person_and_admins(client, personas, module):
    employee = personas["employee"]
    employee.employee_number = "E-100"
    employee.save()
    overdue_by(employee, module, 31)
    daily_training_task.apply()

    client.force_login(employee)
    mine = client.get(reverse("training:mine")).content.decode()
    assert "Your access to Confidential information is suspended" in mine
    policies = client.get("/policies/").content.decode()
    assert "Your access to Confidential policies is suspended" in policies
    assert client.get(reverse("training:suspensions")).status_code == 403
    assert client.get(reverse("training:suspension_export")).status_code == 403

    client.force_login(personas["author"])
    report = client.get(reverse("training:report")).content.decode()
    assert "Access to Confidential information suspended" in report
    assert str(employee) in report
    export = client.get(reverse("training:suspension_export"))
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [(row["Email"], row["Employee number"]) for row in rows] == [
        ("employee@example.test", "E-100")
    ]
    assert AuditEvent.objects.filter(action="training.suspensions_exported").count() == 1


def test_suspension_page_query_count_constant(client, personas, module):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from policyhub.attestations.system import system_user
    from policyhub.training.services.suspensions import suspend_overdue

    from .conftest import make_user

    client.force_login(personas["author"])
    url = reverse("training:suspensions")
    today = timezone.localdate()

    def suspend(names):
        for name in names:
            overdue_by(make_user(name), module, 45)
        suspend_overdue(today, system_user(), "test")

    def queries():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    suspend(["late1"])
    few = queries()
    suspend(["late2", "late3", "late4"])
    assert AccessSuspension.objects.filter(lifted_at__isnull=True).count() == 4
    assert queries() == few
