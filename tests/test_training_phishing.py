"""Simulated phishing: recording exercises, importing the tool's results,
follow-up training, reports and exports."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from policyhub.audit.models import AuditEvent
from policyhub.training import phishing_reports
from policyhub.training.models import PhishingImport, PhishingResult, TrainingAssignment
from policyhub.training.services.phishing import (
    PhishingImportError,
    create_exercise,
    import_results,
)

from .conftest import make_user
from .test_training_support import take_quiz, write_module

pytestmark = pytest.mark.django_db

HEADER = "email,clicked,reported,submitted_credentials\n"


@pytest.fixture
def exercise(personas, tmp_path):
    module = write_module(tmp_path, slug="phishing-followup", assign=[])
    return create_exercise(
        personas["author"],
        name="Parcel Q4",
        sent_on=timezone.localdate(),
        theme="Parcel delivery",
        followup_module=module,
        followup_due_in_days=10,
    )


def results_csv(*rows):
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


def test_import_assigns_followup_to_failures(personas, exercise):
    content = results_csv(
        "employee@example.test,yes,no,no",
        "Owner@Example.test,true,false,true",
        "approver@example.test,no,yes,no",
    )
    batch, created = import_results(personas["author"], exercise, "q4.csv", content)
    assert created is True
    assert (batch.rows, batch.results_created, batch.followups_assigned) == (3, 3, 2)
    followups = TrainingAssignment.objects.filter(module=exercise.followup_module)
    assert set(followups.values_list("user__username", flat=True)) == {"employee", "owner"}
    due = timezone.localdate() + timedelta(days=10)
    assert all(row.due_date == due and row.recurring is False for row in followups)
    event = AuditEvent.objects.get(action="training.phishing_imported")
    assert event.detail["followups"] == 2
    assert AuditEvent.objects.filter(action="training.followup_assigned").count() == 2


def test_same_file_twice_changes_nothing(personas, exercise):
    content = results_csv("employee@example.test,yes,no,no")
    first, created = import_results(personas["author"], exercise, "q4.csv", content)
    second, created_again = import_results(personas["author"], exercise, "copy.csv", content)
    assert created is True
    assert created_again is False
    assert second.pk == first.pk
    assert PhishingImport.objects.count() == 1
    assert PhishingResult.objects.count() == 1
    assert TrainingAssignment.objects.filter(module=exercise.followup_module).count() == 1
    assert AuditEvent.objects.filter(action="training.phishing_imported").count() == 1


def test_corrected_file_updates_results(personas, exercise):
    import_results(
        personas["author"], exercise, "q4.csv", results_csv("employee@example.test,no,no,no")
    )
    assert not TrainingAssignment.objects.filter(module=exercise.followup_module).exists()
    batch, _ = import_results(
        personas["author"], exercise, "q4-fixed.csv", results_csv("employee@example.test,yes,no,no")
    )
    assert (batch.results_created, batch.results_changed, batch.followups_assigned) == (0, 1, 1)
    result = PhishingResult.objects.get()
    assert result.clicked is True
    assert result.source == batch
    assert result.history.count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (
            b"email,clicked,reported\nemployee@example.test,yes,no\n",
            "Missing column 'submitted_credentials'",
        ),
        (
            results_csv("employee@example.test,maybe,no,no"),
            "Row 2, column 'clicked': 'maybe' is not a yes/no value",
        ),
        (
            results_csv("nobody@example.test,yes,no,no"),
            "Row 2, column 'email': 'nobody@example.test' is not the email of an active person",
        ),
        (
            results_csv("employee@example.test,no,no,no", "EMPLOYEE@example.test,yes,no,no"),
            "Row 3, column 'email': 'EMPLOYEE@example.test' already appears on row 2",
        ),
        (
            results_csv("employee@example.test,no,no,yes"),
            "Row 2: 'submitted_credentials' is yes but 'clicked' is no",
        ),
        (results_csv("employee@example.test,yes"), "Row 2 has 2 cells; the header has 4"),
        (b"\xff\xfe" + HEADER.encode("utf-16-le"), "not UTF-8 text"),
        (HEADER.encode(), "no result rows"),
    ],
)
def test_bad_file_names_problem_and_imports_nothing(personas, exercise, content, message):
    with pytest.raises(PhishingImportError) as raised:
        import_results(personas["author"], exercise, "bad.csv", content)
    assert any(message in text for text in raised.value.messages), raised.value.messages
    assert not PhishingImport.objects.exists()
    assert not PhishingResult.objects.exists()
    assert not TrainingAssignment.objects.filter(module=exercise.followup_module).exists()
    rejected = AuditEvent.objects.get(action="training.phishing_import_rejected")
    assert rejected.outcome == "failure"


def test_one_bad_row_rejects_whole_file(personas, exercise):
    content = results_csv("employee@example.test,yes,no,no", "owner@example.test,no,no,2")
    with pytest.raises(PhishingImportError, match="Row 3, column 'submitted_credentials'"):
        import_results(personas["author"], exercise, "bad.csv", content)
    assert not PhishingResult.objects.exists()


def test_followup_reopens_completed_module(personas, exercise):
    employee = personas["employee"]
    TrainingAssignment.objects.create(
        user=employee,
        module=exercise.followup_module,
        due_date=timezone.localdate() + timedelta(days=30),
    )
    take_quiz(employee, exercise.followup_module)
    import_results(
        personas["author"], exercise, "q4.csv", results_csv("employee@example.test,yes,no,yes")
    )
    row = TrainingAssignment.objects.get(user=employee, module=exercise.followup_module)
    assert row.status == TrainingAssignment.Status.OPEN
    assert row.cycle == 2
    assert row.recurring is True
    assert row.completions.count() == 1


def test_report_rates_per_department(personas, exercise):
    for name, department in [("pay1", "Payments"), ("pay2", "Payments"), ("risk1", "Risk")]:
        person = make_user(name)
        person.department = department
        person.save()
    import_results(
        personas["author"],
        exercise,
        "q4.csv",
        results_csv(
            "pay1@example.test,yes,no,no",
            "pay2@example.test,no,yes,no",
            "risk1@example.test,no,yes,no",
            "employee@example.test,yes,yes,yes",
        ),
    )
    summary = phishing_reports.summary(exercise)
    assert (summary["targeted"], summary["failed"], summary["reported"]) == (4, 2, 3)
    assert summary["failure_rate"] == 50
    assert summary["reporting_rate"] == 75
    departments = {row["user__department"]: row for row in phishing_reports.by_department(exercise)}
    assert departments["Payments"]["failure_rate"] == 50
    assert departments["Risk"]["reporting_rate"] == 100


def test_exercise_page_query_count_constant(client, personas, exercise):
    client.force_login(personas["author"])
    url = reverse("training:phishing_exercise", args=[exercise.pk])
    import_results(
        personas["author"], exercise, "a.csv", results_csv("employee@example.test,yes,no,no")
    )

    def queries():
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    rows = [f"extra{n}@example.test,{'yes' if n % 2 else 'no'},no,no" for n in range(6)]
    for n in range(6):
        make_user(f"extra{n}")
    import_results(
        personas["author"], exercise, "b.csv", results_csv("employee@example.test,yes,no,no", *rows)
    )
    assert queries() == few
    list_url = reverse("training:phishing")
    client.get(list_url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(list_url).status_code == 200
    listed = len(captured)
    create_exercise(
        personas["author"],
        name="Another",
        sent_on=timezone.localdate(),
        theme="Invoice",
        followup_module=exercise.followup_module,
        followup_due_in_days=7,
    )
    with CaptureQueriesContext(connection) as captured:
        assert client.get(list_url).status_code == 200
    assert len(captured) == listed


def test_import_page_shows_errors_and_exports(client, personas, exercise):
    client.force_login(personas["author"])
    url = reverse("training:phishing_import", args=[exercise.pk])
    bad = SimpleUploadedFile("bad.csv", results_csv("employee@example.test,perhaps,no,no"))
    response = client.post(url, {"results": bad})
    assert response.status_code == 400
    assert "Row 2, column &#x27;clicked&#x27;: &#x27;perhaps&#x27;" in response.content.decode()
    good = SimpleUploadedFile("good.csv", results_csv("employee@example.test,yes,no,no"))
    assert client.post(url, {"results": good}).status_code == 302
    export = client.get(reverse("training:phishing_export", args=[exercise.pk]))
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert rows[0]["Email"] == "employee@example.test"
    assert rows[0]["Failed"] == "yes"
    assert rows[0]["Follow-up status"] == "To do"


def test_cadence_warns_after_a_quarter(client, personas, exercise):
    client.force_login(personas["author"])
    today = timezone.localdate()
    assert phishing_reports.cadence(today)["overdue"] is False
    later = today + timedelta(days=100)
    assert phishing_reports.cadence(later)["overdue"] is True
    exercise.sent_on = today - timedelta(days=100)
    exercise.save()
    page = client.get(reverse("training:report")).content.decode()
    assert "more than a quarter ago" in page


def test_employee_cannot_import(client, personas, exercise):
    client.force_login(personas["employee"])
    url = reverse("training:phishing_import", args=[exercise.pk])
    upload = SimpleUploadedFile("x.csv", results_csv("employee@example.test,yes,no,no"))
    assert client.post(url, {"results": upload}).status_code == 403
    assert not PhishingResult.objects.exists()


def test_demo_seed_adds_one_exercise(db):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from policyhub.portal.demo import create_demo_accounts
    from policyhub.training.models import PhishingExercise, TrainingModulePage

    Group.objects.get_or_create(name="CAB")
    create_demo_accounts("Demo-Policy-2026!")
    call_command("seed_training")
    call_command("seed_phishing_demo")
    call_command("seed_phishing_demo")

    slugs = set(TrainingModulePage.objects.live().values_list("slug", flat=True))
    assert {"security-awareness", "secure-development", "incident-reporting"} <= slugs
    exercise = PhishingExercise.objects.get()
    assert exercise.results.count() == 4
    failed = [result for result in exercise.results.all() if result.failed]
    assert len(failed) == 2
    assert all(result.followup_assignment_id for result in failed)
