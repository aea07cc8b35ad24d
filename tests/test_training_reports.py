"""Training reports, exports and team pages: figures, formats, access and
constant query counts."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from policyhub.exports.signing import verify_pdf_bytes
from policyhub.training import reports
from policyhub.training.models import TrainingAssignment

from .conftest import make_user
from .test_training_support import take_quiz, write_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def module(personas, tmp_path):
    return write_module(tmp_path, slug="report-module")


def add_people(count, module, manager=None, department="Payments", overdue=True):
    """Create people assigned to ``module``; every second one passes the quiz."""
    yesterday = timezone.localdate() - timedelta(days=1)
    people = []
    start = TrainingAssignment.objects.count()
    for number in range(count):
        person = make_user(f"staff{start + number}")
        person.department = department
        person.manager = manager
        person.save()
        TrainingAssignment.objects.get_or_create(
            user=person, module=module, defaults={"due_date": yesterday if overdue else
                                                  timezone.localdate() + timedelta(days=5)}
        )
        if number % 2 == 0:
            take_quiz(person, module)
        people.append(person)
    return people


def queries_for(client, url):
    # The first request of a session also records its last activity.
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def test_report_counts_per_module(personas, module):
    add_people(4, module)
    today = timezone.localdate()
    rows = reports.by_module(reports.ReportFilter(module_id=module.pk), today)
    assert len(rows) == 1
    row = rows[0]
    # The personas were assigned by the module's rule, due in 14 days.
    assert row["assigned"] == 8 + 4
    assert row["completed"] == 2
    assert row["overdue"] == 2
    assert row["rate"] == round(100 * 2 / 12)


def test_report_filters_by_department(personas, module):
    add_people(2, module, department="Payments")
    add_people(3, module, department="Treasury")
    today = timezone.localdate()
    treasury = reports.by_module(reports.ReportFilter(department="Treasury"), today)
    assert treasury[0]["assigned"] == 3
    assert treasury[0]["completed"] == 2
    departments = {
        row["user__department"]: row["assigned"]
        for row in reports.by_department(reports.ReportFilter(), today)
    }
    assert departments["Payments"] == 2
    assert departments["Treasury"] == 3
    overdue = reports.overdue(reports.ReportFilter(department="Treasury"), today)
    assert len(overdue) == 1


def test_report_period_counts_completions(personas, module):
    add_people(4, module)
    today = timezone.localdate()
    inside = reports.completions_in_period(reports.ReportFilter(completed_from=today))
    assert inside[0]["completions"] == 2
    before = reports.completions_in_period(
        reports.ReportFilter(completed_to=today - timedelta(days=1))
    )
    assert before == []


def test_report_query_count_constant(client, personas, module):
    client.force_login(personas["author"])
    url = reverse("training:report")
    add_people(2, module)
    small = queries_for(client, url)
    add_people(8, module, department="Treasury")
    large = queries_for(client, url)
    assert small == large
    assert large <= 16


def test_my_training_query_count_constant(client, personas, tmp_path, module):
    employee = personas["employee"]
    client.force_login(employee)
    url = reverse("training:mine")
    take_quiz(employee, module)
    small = queries_for(client, url)
    for number in range(4):
        extra = write_module(tmp_path, slug=f"extra-{number}")
        take_quiz(employee, extra)
    large = queries_for(client, url)
    assert small == large


def test_team_query_count_constant(client, personas, module):
    manager = personas["owner"]
    client.force_login(manager)
    url = reverse("training:team")
    add_people(2, module, manager=manager)
    small = queries_for(client, url)
    add_people(6, module, manager=manager)
    large = queries_for(client, url)
    assert small == large


def test_team_shows_only_reports(client, personas, module):
    manager = personas["owner"]
    mine = add_people(2, module, manager=manager)
    add_people(1, module, manager=personas["owner2"])
    client.force_login(manager)
    html = client.get(reverse("training:team")).content.decode()
    for person in mine:
        assert str(person) in html
    assert "Staff" in html
    assert html.count("<tr>") == 1 + 2


def test_team_page_needs_reports(client, personas):
    client.force_login(personas["employee"])
    assert client.get(reverse("training:team")).status_code == 403


def test_csv_export_lists_assignments(client, personas, module):
    add_people(3, module, department="=HYPERLINK(1)")
    client.force_login(personas["author"])
    response = client.get(reverse("training:report_export", args=["csv"]) +
                          f"?module={module.pk}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 8 + 3
    staff = [row for row in rows if row["Email"].startswith("staff")]
    assert {row["Department"] for row in staff} == {"'=HYPERLINK(1)"}
    assert sum(row["Status"] == "Completed" for row in rows) == 2


def test_xlsx_export_opens(client, personas, module):
    add_people(2, module)
    client.force_login(personas["author"])
    response = client.get(reverse("training:report_export", args=["xlsx"]))
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Training"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Person", "Email", "Department", "Module"]
    assert sheet.max_row == 1 + 8 + 2


def test_pdf_report_is_signed(client, personas, module):
    add_people(2, module)
    client.force_login(personas["author"])
    response = client.get(reverse("training:report_export", args=["pdf"]))
    assert response["Content-Type"] == "application/pdf"
    result = verify_pdf_bytes(response.content)
    assert result.valid, result.problem


def test_invalid_period_is_rejected(client, personas, module):
    client.force_login(personas["author"])
    url = reverse("training:report") + "?completed_from=2026-05-01&completed_to=2026-04-01"
    response = client.get(url)
    assert response.status_code == 400
    assert "choose an end date on or after the start date" in response.content.decode()
    export = client.get(reverse("training:report_export", args=["csv"]) +
                        "?completed_from=2026-05-01&completed_to=2026-04-01")
    assert export.status_code == 400


def test_unknown_export_format_is_404(client, personas):
    client.force_login(personas["author"])
    assert client.get(reverse("training:report_export", args=["docx"])).status_code == 404


def test_extension_form_moves_due_date(client, personas, module):
    assignment = TrainingAssignment.objects.get(user=personas["employee"], module=module)
    new_due = assignment.due_date + timedelta(days=7)
    client.force_login(personas["author"])
    url = reverse("training:extend", args=[assignment.pk])
    missing = client.post(url, {"new_due_date": new_due.isoformat(), "reason": ""})
    assert missing.status_code == 400
    response = client.post(url, {"new_due_date": new_due.isoformat(), "reason": "Sick leave"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_date == new_due
    assert assignment.extensions.get().reason == "Sick leave"
    client.force_login(personas["owner2"])
    assert client.get(url).status_code == 404
