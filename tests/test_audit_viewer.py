"""The audit viewer: who may see it, filters, keyset pages, CSV and PDF."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from policyhub.audit.models import AuditEvent
from policyhub.audit.services import record_event
from policyhub.audit.views import PAGE_SIZE
from policyhub.exports.signing import verify_pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["auditor", "author"])
def test_auditor_and_compliance_admin_see_viewer(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get("/audit/")
    assert response.status_code == 200
    assert b"Audit trail" in response.content


def test_employee_gets_forbidden(client, personas):
    client.force_login(personas["employee"])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get("/audit/reviews/").status_code == 403


def test_anonymous_redirected_to_login(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_viewing_is_audited(client, personas):
    client.force_login(personas["auditor"])
    client.get("/audit/", {"action": "auth."})
    viewed = AuditEvent.objects.filter(action="audit.viewed").last()
    assert viewed.actor == personas["auditor"]
    assert viewed.detail["filters"] == {"action": "auth."}


def test_filters_by_actor_action_object(client, personas):
    employee = personas["employee"]
    record_event("test.alpha", actor=employee, obj=employee)
    record_event("test.beta", system_actor="task:test")
    client.force_login(personas["auditor"])
    by_email = client.get("/audit/", {"actor": "employee@example.test"})
    assert [e.action for e in by_email.context["events"]] == ["test.alpha"]
    by_label = client.get("/audit/", {"actor": "task:test"})
    assert [e.action for e in by_label.context["events"]] == ["test.beta"]
    by_prefix = client.get("/audit/", {"action": "test."})
    assert [e.action for e in by_prefix.context["events"]] == [
        "test.beta",
        "test.alpha",
    ]
    by_object = client.get(
        "/audit/",
        {
            "object_type": "accounts.user",
            "object_id": str(employee.pk),
            "action": "test.alpha",
        },
    )
    assert len(by_object.context["events"]) == 1


def test_unknown_actor_explained(client, personas):
    client.force_login(personas["auditor"])
    response = client.get("/audit/", {"actor": "nobody@example.test"})
    assert response.status_code == 400
    assert b"No user &#x27;nobody@example.test&#x27; exists" in response.content


def test_reversed_dates_explained(client, personas):
    client.force_login(personas["auditor"])
    response = client.get("/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 400
    assert b"is before the from date" in response.content


def test_date_range_filter(client, personas):
    record_event("test.today", system_actor="test")
    client.force_login(personas["auditor"])
    today = timezone.localdate()
    included = client.get("/audit/", {"date_from": today, "date_to": today, "action": "test."})
    assert len(included.context["events"]) == 1
    yesterday = today - timedelta(days=1)
    excluded = client.get("/audit/", {"date_to": yesterday, "action": "test."})
    assert excluded.context["events"] == []


def test_keyset_pages_cover_all_events(client, personas):
    for n in range(PAGE_SIZE + 5):
        record_event("test.page", detail={"n": n}, system_actor="test")
    client.force_login(personas["auditor"])
    first = client.get("/audit/", {"action": "test.page"})
    assert len(first.context["events"]) == PAGE_SIZE
    assert first.context["newer"] is None
    older = first.context["older"]
    second = client.get("/audit/", {"action": "test.page", "before": older})
    assert len(second.context["events"]) == 5
    assert second.context["older"] is None
    seen = {e.pk for e in first.context["events"]} | {e.pk for e in second.context["events"]}
    assert len(seen) == PAGE_SIZE + 5
    back = client.get("/audit/", {"action": "test.page", "after": second.context["newer"]})
    assert [e.pk for e in back.context["events"]] == [e.pk for e in first.context["events"]]


def test_page_query_count_is_constant(client, personas):
    client.force_login(personas["auditor"])
    for n in range(5):
        record_event("test.count", detail={"n": n}, system_actor="test")
    client.get("/audit/")
    with CaptureQueriesContext(connection) as few:
        client.get("/audit/")
    for n in range(PAGE_SIZE):
        record_event("test.count", detail={"n": n}, system_actor="test")
    with CaptureQueriesContext(connection) as many:
        client.get("/audit/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_csv_export_streams_and_is_audited(client, personas):
    record_event("test.csv", detail={"note": "=cmd|' /C calc'!A0"}, system_actor="test")
    client.force_login(personas["auditor"])
    response = client.get("/audit/export.csv", {"action": "test.csv"})
    assert response.status_code == 200
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "occurred_at", "actor_label", "action"]
    assert len(rows) == 2
    assert rows[1][3] == "test.csv"
    export = AuditEvent.objects.get(action="audit.exported_csv")
    assert export.detail["filters"] == {"action": "test.csv"}


def test_csv_cells_cannot_run_formulas(client, personas):
    record_event("test.csv", system_actor="=HYPERLINK(1)")
    client.force_login(personas["auditor"])
    response = client.get("/audit/export.csv", {"action": "test.csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][2] == "'=HYPERLINK(1)"


def test_signed_pdf_extract_verifies(client, personas):
    record_event("test.pdf", system_actor="test")
    client.force_login(personas["author"])
    today = timezone.localdate().isoformat()
    response = client.get(
        "/audit/extract.pdf", {"extract-date_from": today, "extract-date_to": today}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert verify_pdf_bytes(response.content).valid
    exported = AuditEvent.objects.get(action="audit.exported_pdf")
    assert exported.actor == personas["author"]
    assert exported.detail["events"] >= 1


def test_pdf_extract_needs_date_range(client, personas):
    client.force_login(personas["auditor"])
    response = client.get("/audit/extract.pdf")
    assert response.status_code == 400
    assert b"a signed extract covers a date range" in response.content
    assert not AuditEvent.objects.filter(action="audit.exported_pdf").exists()


def test_pdf_extract_size_limited(client, personas, settings):
    settings.AUDIT_EXTRACT_MAX_EVENTS = 1
    record_event("test.pdf", system_actor="test")
    record_event("test.pdf", system_actor="test")
    client.force_login(personas["auditor"])
    today = timezone.localdate().isoformat()
    response = client.get(
        "/audit/extract.pdf", {"extract-date_from": today, "extract-date_to": today}
    )
    assert response.status_code == 400
    assert b"Choose a shorter date range" in response.content


def test_nav_link_only_for_permitted(client, personas):
    client.force_login(personas["auditor"])
    assert b'href="/audit/"' in client.get("/exports/verify/").content
    client.force_login(personas["employee"])
    assert b'href="/audit/"' not in client.get("/exports/verify/").content


def test_security_team_group_can_view(client, personas):
    user = personas["outsider"]
    user.groups.add(Group.objects.get(name="Security Team"))
    client.force_login(user)
    assert client.get("/audit/").status_code == 200
