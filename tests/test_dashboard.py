"""The compliance dashboard: who may see what, constant query counts, and
CSV, XLSX and signed PDF exports."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from policyhub.accounts import roles
from policyhub.attestations.campaigns import create_campaign
from policyhub.attestations.exports import HEADER, build_export, request_export
from policyhub.attestations.models import Assignment, CampaignJob
from policyhub.attestations.services import acknowledge
from policyhub.exports.signing import verify_pdf_bytes

from .conftest import approve, import_one, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    """Start each test without the cached dashboard-link visibility."""
    from django.core.cache import cache

    cache.clear()


def add_staff(count, department, manager=None, prefix="staff"):
    """Create ``count`` employees in ``department``; return them."""
    employees = Group.objects.get(name=roles.EMPLOYEES)
    people = []
    for index in range(count):
        user = make_user(f"{prefix}{department.lower()}{index}")
        user.department = department
        user.manager = manager
        user.employee_number = f"E-{department[:3].upper()}-{prefix}-{index}"
        user.save()
        user.groups.add(employees)
        people.append(user)
    return people


def launch(admin, versions, capture, due_in_days=10):
    with capture(execute=True):
        job = create_campaign(
            admin, name="Q1 attestation", versions=versions,
            due_date=timezone.localdate() + timedelta(days=due_in_days),
        )
    return job.campaign


@pytest.fixture
def org(personas, published_policy, django_capture_on_commit_callbacks):
    """Two departments under a manager, half acknowledged, the rest overdue."""
    _, version = published_policy
    manager = personas["approver"]
    treasury = add_staff(3, "Treasury", manager=manager)
    retail = add_staff(3, "Retail")
    campaign = launch(personas["author"], [version], django_capture_on_commit_callbacks)
    for user in (treasury[0], retail[0]):
        acknowledge(user, version, version.content_sha256)
    past = timezone.localdate() - timedelta(days=4)
    Assignment.objects.filter(campaign=campaign, status="pending").update(
        due_date=past, grace_until=past
    )
    return {"campaign": campaign, "manager": manager, "treasury": treasury,
            "retail": retail, "version": version}


def count_queries(client, url, cold=True):
    """Count the queries of one request; ``cold`` clears the cache first."""
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def test_dashboard_shows_rates_and_overdue(org, personas, client):
    client.force_login(personas["author"])
    response = client.get(reverse("campaigns:overview"))
    page = response.content.decode()

    assert response.status_code == 200
    assert "Treasury" in page
    assert 'aria-label="Treasury completion"' in page
    assert "<svg" in page
    treasury_overdue = org["treasury"][1]
    assert str(treasury_overdue) in page
    assert str(org["manager"]) in page


def test_employee_cannot_see_dashboard(org, personas, client):
    client.force_login(personas["employee"])
    assert client.get(reverse("campaigns:overview")).status_code == 403
    campaign = org["campaign"]
    assert client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == 403


def test_manager_sees_only_own_team(org, client):
    client.force_login(org["manager"])
    page = client.get(reverse("campaigns:overview")).content.decode()
    people = client.get(reverse("campaigns:people", args=[org["campaign"].pk])).content.decode()

    assert "Your team" in page
    assert str(org["treasury"][1]) in people
    assert str(org["retail"][1]) not in people
    assert "Launch a campaign" not in page


def test_manager_cannot_export_or_extend(org, client):
    client.force_login(org["manager"])
    campaign = org["campaign"]
    export = client.post(reverse("campaigns:export", args=[campaign.pk, "csv"]))
    assignment = campaign.assignments.first()
    extend = client.get(reverse("campaigns:extend", args=[assignment.pk]))

    assert export.status_code == 403
    assert extend.status_code == 403
    assert not CampaignJob.objects.exclude(kind="launch").exists()


def test_dashboard_query_count_is_constant(
    org, personas, client, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(personas["author"])
    campaign = org["campaign"]
    urls = [
        reverse("campaigns:overview"),
        reverse("campaigns:detail", args=[campaign.pk]),
        reverse("campaigns:people", args=[campaign.pk]) + "?status=overdue",
    ]
    for url in urls:
        client.get(url)
    small = {url: count_queries(client, url) for url in urls}

    add_staff(12, "Markets", manager=org["manager"], prefix="more")
    add_staff(5, "Operations", prefix="ops")
    second = approve(import_one(tmp_path, "cryptography"), personas)
    launch(personas["author"], [second, org["version"]], django_capture_on_commit_callbacks)
    large = {url: count_queries(client, url) for url in urls}

    assert Assignment.objects.count() > 3 * campaign.assignments.count()
    assert large == small
    for url, queries in small.items():
        assert queries <= 14, f"{url} ran {queries} queries"


def test_my_policies_query_count_is_constant(
    org, personas, client, tmp_path, django_capture_on_commit_callbacks
):
    employee = org["treasury"][1]
    client.force_login(employee)
    client.get("/policies/")
    small = count_queries(client, "/policies/", cold=False)

    for slug in ("cryptography", "information-backup"):
        version = approve(import_one(tmp_path, slug), personas)
        launch(personas["author"], [version], django_capture_on_commit_callbacks)
    client.get("/policies/")
    large = count_queries(client, "/policies/", cold=False)

    assert employee.assignments.count() == 3
    assert large == small
    # Ten for the list, one for the training suspension notice.
    assert small <= 11


def read_export(job):
    job.refresh_from_db()
    assert job.status == CampaignJob.Status.DONE
    with job.file.open("rb") as handle:
        return handle.read()


def test_csv_export_lists_every_person(org, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(org["campaign"], "csv", personas["author"])
    rows = list(csv.reader(io.StringIO(read_export(job).decode())))

    assert rows[0] == HEADER
    by_number = {row[3]: row for row in rows[1:]}
    done = by_number[org["treasury"][0].employee_number]
    overdue = by_number[org["treasury"][1].employee_number]
    assert len(rows) - 1 == org["campaign"].assignments.count()
    assert done[8] == "Completed"
    assert overdue[8] == "Pending"
    assert overdue[11] == "4"
    assert overdue[7] == str(org["manager"])
    assert overdue[6] == "Treasury"


def test_csv_export_neutralises_formulas(org, personas, django_capture_on_commit_callbacks):
    person = org["retail"][1]
    person.department = "=HYPERLINK(\"http://x\")"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(org["campaign"], "csv", personas["author"])
    rows = list(csv.reader(io.StringIO(read_export(job).decode())))
    departments = {row[6] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://x\")" in departments
    assert "=HYPERLINK(\"http://x\")" not in departments


def test_xlsx_export_matches_csv(org, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(org["campaign"], "xlsx", personas["author"])
    sheet = load_workbook(io.BytesIO(read_export(job)), read_only=True)["Status"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]

    assert rows[0] == HEADER
    assert len(rows) - 1 == org["campaign"].assignments.count()
    numbers = {row[3] for row in rows[1:]}
    assert org["retail"][2].employee_number in numbers


def test_signed_report_verifies(org, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(org["campaign"], "pdf", personas["author"])
    data = read_export(job)
    result = verify_pdf_bytes(data)

    assert data.startswith(b"%PDF")
    assert result.valid


def test_repeated_export_task_keeps_file(org, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(org["campaign"], "csv", personas["author"])
    job.refresh_from_db()
    name = job.file.name
    build_export(job.pk)
    job.refresh_from_db()
    assert job.file.name == name


def test_unknown_export_format_is_404(org, personas, client):
    client.force_login(personas["author"])
    response = client.post(reverse("campaigns:export", args=[org["campaign"].pk, "docx"]))
    assert response.status_code == 404


def test_job_page_shows_progress(org, personas, client):
    job = CampaignJob.objects.create(
        campaign=org["campaign"], kind="csv", requested_by=personas["author"],
        status="running", total=200, done=50,
    )
    client.force_login(personas["author"])
    page = client.get(reverse("campaigns:job", args=[job.pk])).content.decode()

    assert 'http-equiv="refresh"' in page
    assert 'value="25"' in page
    assert "50 of 200" in page
    assert client.get(reverse("campaigns:job_download", args=[job.pk])).status_code == 404


def test_launch_form_rejects_unknown_person(org, personas, client):
    client.force_login(personas["author"])
    response = client.post(
        reverse("campaigns:create"),
        {
            "name": "Targeted",
            "versions": [org["version"].pk],
            "audience": "users",
            "people": "nobody@example.test\n" + org["treasury"][0].email,
            "due_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
            "grace_days": 0,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "nobody@example.test" in page
    assert "correct or remove" in page


def test_launch_form_creates_campaign(org, personas, client, django_capture_on_commit_callbacks):
    client.force_login(personas["author"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("campaigns:create"),
            {
                "token": "6f1c9a52-0a4e-4c38-9d1e-2f7b3c8e5a10",
                "name": "Treasury only",
                "versions": [org["version"].pk],
                "audience": "departments",
                "departments": "Treasury\n",
                "due_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
                "grace_days": 2,
            },
        )
    job = CampaignJob.objects.filter(kind="launch").latest("created_at")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:job", args=[job.pk])
    assert job.campaign.assignments.count() == 3
    assert job.campaign.grace_days == 2


def test_nav_link_only_for_dashboard_users(org, personas, client):
    client.force_login(personas["employee"])
    assert "Compliance dashboard" not in client.get("/policies/").content.decode()
    client.force_login(org["manager"])
    assert "Compliance dashboard" in client.get("/policies/").content.decode()
