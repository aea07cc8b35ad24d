# ruff: noqa: F811 - pytest fixtures imported from procedure_fixtures are redefined as arguments
"""Procedure portal pages: permissions (404 for outsiders), evidence upload,
manual start, sign-off, PDF download and query counts of list pages."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from policyhub.procedures import services
from policyhub.procedures.models import ProcedureRun, StepEvidence

from .conftest import make_user
from .procedure_fixtures import (  # noqa: F401 - fixtures
    PNG,
    perform_all,
    performers,
    procedure,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(procedure):
    return services.create_scheduled_run(procedure)[0]


def run_url(run, name="procedures:run", *args):
    return reverse(name, args=[run.pk, *args])


@pytest.mark.parametrize("persona", ["employee", "outsider", "approver"])
def test_outsiders_get_404(run, performers, client, persona):
    client.force_login(performers[persona])
    assert client.get(run_url(run)).status_code == 404
    response = client.post(run_url(run, "procedures:step", 6), {"step-6-confirmed": "on"})
    assert response.status_code == 404
    assert client.post(run_url(run, "procedures:complete")).status_code == 404
    assert not StepEvidence.objects.exists()


def test_outsider_cannot_start_run(procedure, performers, client):
    client.force_login(performers["employee"])
    url = reverse("procedures:start", args=[procedure.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"token": uuid.uuid4(), "reason": "x"}).status_code == 404


def test_performer_uploads_file_evidence(run, performers, client):
    client.force_login(performers["performer"])
    response = client.post(
        run_url(run, "procedures:step", 1),
        {"step-1-file": SimpleUploadedFile("accounts.png", PNG)},
    )
    assert response.status_code == 302
    evidence = StepEvidence.objects.get()
    assert evidence.original_name == "accounts.png"
    assert evidence.provided_by == performers["performer"]
    download = client.get(reverse("procedures:evidence", args=[evidence.pk]))
    assert download.status_code == 200
    assert download["X-Content-SHA256"] == evidence.sha256
    client.force_login(performers["employee"])
    assert client.get(reverse("procedures:evidence", args=[evidence.pk])).status_code == 404


def test_bad_upload_shows_error_and_keeps_nothing(run, performers, client):
    client.force_login(performers["performer"])
    response = client.post(
        run_url(run, "procedures:step", 1),
        {"step-1-file": SimpleUploadedFile("accounts.png", b"MZ" + b"\x00" * 100)},
    )
    assert response.status_code == 400
    assert "accounts.png is named .png" in response.content.decode()
    assert not StepEvidence.objects.exists()


def test_complete_without_evidence_shows_missing(run, performers, client):
    client.force_login(performers["performer"])
    response = client.post(run_url(run, "procedures:complete"), follow=True)
    assert "step(s) 1, 2, 3, 4, 5, 6 still need" in response.content.decode()
    run.refresh_from_db()
    assert run.status == ProcedureRun.Status.OPEN


def test_manual_start_double_submit(procedure, performers, client):
    client.force_login(performers["performer"])
    url = reverse("procedures:start", args=[procedure.pk])
    data = {"token": str(uuid.uuid4()), "reason": "Leaver: J. Smith, last day Friday"}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ProcedureRun.objects.filter(trigger="manual").count() == 1


def test_sign_off_flow_and_pdf(run, performers, client):
    perform_all(run, performers["performer"])
    services.complete_run(run, performers["performer"])
    client.force_login(performers["performer"])
    page = client.get(run_url(run)).content.decode()
    assert "Sign off this run" not in page
    assert client.post(run_url(run, "procedures:sign_off"), {}).status_code == 403
    client.force_login(performers["owner2"])
    assert "Sign off this run" in client.get(run_url(run)).content.decode()
    response = client.post(run_url(run, "procedures:sign_off"), {"comment": "Samples checked."})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.signed_off_by == performers["owner2"]
    pdf = client.get(run_url(run, "procedures:pdf"))
    assert pdf.status_code == 200
    assert pdf["X-Content-SHA256"] == run.signed_pdf.sha256


def test_line_manager_sees_run(run, performers, client):
    services.start_run(run, performers["performer"])
    client.force_login(performers["manager"])
    page = client.get(run_url(run))
    assert page.status_code == 200
    assert "Mark step" not in page.content.decode()


def test_dashboard_lists_overdue_runs(run, performers, client):
    ProcedureRun.objects.filter(pk=run.pk).update(due_date="2020-01-01")
    client.force_login(performers["author"])
    page = client.get(reverse("procedures:dashboard")).content.decode()
    assert "Quarterly User Access Review" in page
    assert "Overdue" in page
    client.force_login(performers["performer"])
    assert client.get(reverse("procedures:dashboard")).status_code == 403


def test_campaign_dashboard_links_procedures(performers, client):
    client.force_login(performers["author"])
    page = client.get(reverse("campaigns:overview")).content.decode()
    assert reverse("procedures:dashboard") in page


def count_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_list_query_counts_are_flat(procedure, performers, client, django_assert_max_num_queries):
    for _ in range(2):
        services.start_manual_run(procedure, performers["performer"], uuid.uuid4(), "x")
    client.force_login(performers["performer"])
    mine = reverse("procedures:mine")
    client.force_login(performers["author"])
    dashboard = reverse("procedures:dashboard")
    ProcedureRun.objects.update(due_date="2020-01-01")
    small = {}
    for user, url in ((performers["performer"], mine), (performers["author"], dashboard)):
        client.force_login(user)
        client.get(url)
        small[url] = count_queries(client, url, django_assert_max_num_queries, 20)
    for _ in range(8):
        services.start_manual_run(procedure, performers["performer"], uuid.uuid4(), "x")
    ProcedureRun.objects.update(due_date="2020-01-01")
    for user, url in ((performers["performer"], mine), (performers["author"], dashboard)):
        client.force_login(user)
        assert count_queries(client, url, django_assert_max_num_queries, small[url]) == small[url]


def test_procedure_listed_only_for_performers(procedure, performers, client):
    client.force_login(performers["performer"])
    assert procedure.title in client.get("/policies/").content.decode()
    client.force_login(performers["employee"])
    assert procedure.title not in client.get("/policies/").content.decode()


def test_as_of_view_lists_runs(run, performers, client):
    from django.utils import timezone

    client.force_login(performers["auditor"])
    page = client.get(reverse("auditor:as_of"), {"date": timezone.localdate().isoformat()})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Procedure runs at the end of" in body
    assert run.period_key in body


def test_new_user_without_roles_sees_empty_list(procedure, client):
    user = make_user("newcomer")
    client.force_login(user)
    page = client.get(reverse("procedures:mine")).content.decode()
    assert "No procedure runs are waiting for you." in page
    assert "You do not perform any procedure." in page


def test_policy_page_lists_procedures(procedure, performers, client):
    client.force_login(performers["employee"])
    page = client.get(procedure.get_parent().url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Quarterly User Access Review" in body
    assert procedure.url in body


def test_admin_edit_form_shows_procedure_fields(procedure, performers, client):
    client.force_login(performers["author"])
    page = client.get(f"/admin/pages/{procedure.pk}/edit/")
    assert page.status_code == 200
    body = page.content.decode()
    for name in ("performer_groups", "sign_off_group", "schedule", "schedule_cron"):
        assert f'name="{name}"' in body, name
    assert "Export the account lists" in body
