"""Reporting lines: the CSV import command and the admin screen."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from policyhub.attestations.system import SYSTEM_USERNAME
from policyhub.audit.models import AuditEvent

from .conftest import make_user

pytestmark = pytest.mark.django_db


def write_csv(tmp_path, text):
    path = tmp_path / "lines.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_sets_manager_and_department(personas, tmp_path):
    path = write_csv(
        tmp_path,
        "email,department,manager_email,employee_number\n"
        "employee@example.test,Treasury,approver@example.test,E100\n"
        "owner@example.test,Risk,,E101\n",
    )
    call_command("import_reporting_lines", str(path))

    employee = personas["employee"]
    employee.refresh_from_db()
    assert employee.manager == personas["approver"]
    assert employee.department == "Treasury"
    assert employee.employee_number == "E100"
    latest = employee.history.latest()
    assert latest.history_user.username == SYSTEM_USERNAME
    assert AuditEvent.objects.filter(action="user.reporting_lines_imported").exists()


def test_import_with_unknown_email_changes_nothing(personas, tmp_path):
    path = write_csv(
        tmp_path,
        "email,department,manager_email\n"
        "employee@example.test,Treasury,approver@example.test\n"
        "ghost@example.test,Risk,\n",
    )
    with pytest.raises(CommandError, match="line 3: no user has the email address 'ghost"):
        call_command("import_reporting_lines", str(path))
    personas["employee"].refresh_from_db()
    assert personas["employee"].manager is None
    assert personas["employee"].department == ""


def test_import_rejects_reporting_loop(personas, tmp_path):
    path = write_csv(
        tmp_path,
        "email,department,manager_email\n"
        "employee@example.test,Treasury,approver@example.test\n"
        "approver@example.test,Treasury,employee@example.test\n",
    )
    with pytest.raises(CommandError, match="leads back"):
        call_command("import_reporting_lines", str(path))
    personas["employee"].refresh_from_db()
    assert personas["employee"].manager is None


def test_import_rejects_missing_column(personas, tmp_path):
    path = write_csv(tmp_path, "email,department\nemployee@example.test,Treasury\n")
    with pytest.raises(CommandError, match="lacks column"):
        call_command("import_reporting_lines", str(path))


def test_admin_sets_line_manager(personas, client):
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    employee = personas["employee"]
    url = reverse("reporting_lines:edit", args=[employee.pk])

    response = client.post(
        url, {"department": "Markets", "employee_number": "E7",
              "manager_email": "approver@example.test"},
    )

    employee.refresh_from_db()
    assert response.status_code == 302
    assert employee.manager == personas["approver"]
    assert employee.department == "Markets"
    assert employee.history.latest().history_user == admin
    assert AuditEvent.objects.filter(action="user.reporting_line_changed").exists()


def test_admin_rejects_unknown_manager(personas, client):
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    employee = personas["employee"]
    response = client.post(
        reverse("reporting_lines:edit", args=[employee.pk]),
        {"department": "Markets", "employee_number": "", "manager_email": "nobody@example.test"},
    )
    assert response.status_code == 200
    assert "No user has the email address nobody@example.test" in response.content.decode()
    employee.refresh_from_db()
    assert employee.manager is None


def test_employee_cannot_open_reporting_lines(personas, client):
    client.force_login(personas["employee"])
    response = client.get(reverse("reporting_lines:edit", args=[personas["employee"].pk]))
    assert response.status_code in (302, 403)
