"""Change management pages, downloads, notifications and demo data."""

import csv
import html
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from policyhub.audit.models import AuditEvent
from policyhub.changes import services
from policyhub.changes.models import BlackoutPeriod, ChangeRequest, State
from policyhub.changes.tasks import notify_change_event
from policyhub.exports.signing import verify_pdf_bytes
from policyhub.notifications.models import Delivery

from .test_changes_support import approve_by_majority, in_days, new_change, to_cab_review

pytest_plugins = ["tests.test_changes_support"]

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def client_for(client, user):
    client.force_login(user)
    return client


def form_data(systems, **overrides):
    data = {
        "title": "Replace the core switch",
        "change_type": "normal",
        "description": "Swap the end-of-life core switch.",
        "justification": "The vendor stops security fixes in March.",
        "systems": [systems["core"].pk],
        "impact": "high",
        "likelihood": "low",
        "implementation_plan": "Swap during the window.",
        "rollback_plan": "Reconnect the old switch.",
        "test_plan": "Ping sweep and failover test.",
        "planned_start": in_days(7).strftime("%Y-%m-%dT%H:%M"),
        "planned_end": in_days(7, 3).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


# Visibility


def test_outsider_gets_not_found(client, board, systems):
    change = new_change(board["requester"], [systems["core"]])
    for persona in ("outsider", "ciso"):
        client_for(client, board[persona])
        for name in ("changes:detail", "changes:pdf", "changes:edit"):
            response = client.get(reverse(name, args=[change.pk]))
            assert response.status_code == 404, (persona, name)
        response = client.post(reverse("changes:transition", args=[change.pk, "submit"]))
        assert response.status_code == 404


def test_requester_and_implementer_see_own_change(client, board, systems):
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    other = new_change(board["ciso"], [systems["web"]], title="Someone else's change")
    for persona in ("requester", "implementer"):
        client_for(client, board[persona])
        assert client.get(reverse("changes:detail", args=[change.pk])).status_code == 200
        assert client.get(reverse("changes:detail", args=[other.pk])).status_code == 404
        listing = client.get(reverse("changes:list")).content.decode()
        assert change.title in listing
        assert other.title not in listing


def test_board_and_auditor_see_all(client, board, systems):
    change = new_change(board["requester"], [systems["core"]])
    for persona in ("cab1", "ecab1", "auditor"):
        client_for(client, board[persona])
        assert client.get(reverse("changes:detail", args=[change.pk])).status_code == 200


# Forms


def test_requester_creates_change_in_form(client, board, systems):
    client_for(client, board["requester"])
    response = client.post(reverse("changes:create"), form_data(systems))
    change = ChangeRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("changes:detail", args=[change.pk])
    assert change.risk == "medium"
    assert change.requester == board["requester"]
    assert list(change.systems.all()) == [systems["core"]]


def test_invalid_form_names_the_problem(client, board, systems):
    client_for(client, board["requester"])
    data = form_data(systems, planned_end=in_days(6).strftime("%Y-%m-%dT%H:%M"),
                     rollback_plan="")
    data["systems"] = []
    response = client.post(reverse("changes:create"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "must be after the planned start" in body
    assert "Rollback plan is required for normal and emergency changes." in body
    assert "Choose at least one affected system." in body
    assert not ChangeRequest.objects.exists()


def test_outsider_cannot_request_change(client, board):
    client_for(client, board["outsider"])
    assert client.get(reverse("changes:create")).status_code == 403


def test_transition_form_refuses_wrong_role(client, board, systems):
    change = new_change(board["requester"], [systems["core"]])
    client_for(client, board["cab1"])
    response = client.post(reverse("changes:transition", args=[change.pk, "submit"]))
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.state == State.DRAFT


def test_invalid_transition_shows_message(client, board, systems):
    change = new_change(board["requester"], [systems["core"]])
    client_for(client, board["requester"])
    response = client.post(reverse("changes:transition", args=[change.pk, "complete"]),
                           follow=True)
    assert "it cannot be completed" in response.content.decode()
    change.refresh_from_db()
    assert change.state == State.DRAFT


def test_vote_form_and_double_submit(client, board, systems):
    change = to_cab_review(new_change(board["requester"], [systems["core"]]), board)
    client_for(client, board["cab1"])
    page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert "Record vote" in page
    data = {"decision": "approve", "comment": "Good plan.", "member": board["cab1"].pk}
    client.post(reverse("changes:vote", args=[change.pk]), data)
    response = client.post(reverse("changes:vote", args=[change.pk]),
                           {**data, "decision": "reject"}, follow=True)
    body = response.content.decode()
    assert "Your vote (Approve) on" in body
    assert "was already recorded" in body
    assert change.votes.get().decision == "approve"


def test_close_form_requires_code_and_notes(client, board, systems):
    change = to_cab_review(
        new_change(board["requester"], [systems["core"]], implementer=board["implementer"]), board
    )
    change = approve_by_majority(change, board)
    for action, persona in [("schedule", "cab3"), ("start", "implementer"),
                            ("complete", "implementer"), ("begin_review", "requester")]:
        change = services.transition(change, action, board[persona])
    client_for(client, board["cab3"])
    response = client.post(reverse("changes:transition", args=[change.pk, "close"]),
                           {"code": "successful", "notes": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    change.refresh_from_db()
    assert change.state == State.REVIEW


# Attachments


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evidence.pdf", b"MZ\x90\x00" + b"\x00" * 200, "is named .pdf but contains"),
        ("evidence.exe", PDF_BYTES, "extension 'exe', which is not allowed"),
        ("notes.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "is named .txt but contains image/png"),
        ("notes.csv", "name;value\n".encode("utf-16"), "is named .csv but contains binary data"),
    ],
)
def test_attachment_rejected_with_reason(client, board, systems, name, content, message):
    change = new_change(board["requester"], [systems["core"]])
    client_for(client, board["requester"])
    upload = SimpleUploadedFile(name, content)
    response = client.post(reverse("changes:attach", args=[change.pk]), {"file": upload})
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not change.attachments.exists()


def test_oversized_attachment_rejected(client, board, systems, settings):
    settings.CHANGES_ATTACHMENT_MAX_BYTES = 20
    change = new_change(board["requester"], [systems["core"]])
    client_for(client, board["requester"])
    upload = SimpleUploadedFile("evidence.pdf", PDF_BYTES)
    response = client.post(reverse("changes:attach", args=[change.pk]), {"file": upload})
    assert response.status_code == 400
    assert f"is {len(PDF_BYTES):,} bytes; the limit is 20 bytes" in response.content.decode()


def test_valid_attachment_is_stored(client, board, systems):
    change = new_change(board["requester"], [systems["core"]])
    client_for(client, board["requester"])
    client.post(reverse("changes:attach", args=[change.pk]),
                {"file": SimpleUploadedFile("results.pdf", PDF_BYTES), "description": "Tests"})
    client.post(reverse("changes:attach", args=[change.pk]),
                {"file": SimpleUploadedFile("results.txt", "Passed: 12 ✓".encode())})
    stored = list(change.attachments.order_by("pk"))
    assert [a.content_type for a in stored] == ["application/pdf", "text/plain"]
    assert stored[0].history.count() == 1
    response = client.get(reverse("changes:attachment", args=[change.pk, stored[0].pk]))
    assert b"".join(response.streaming_content) == PDF_BYTES
    client_for(client, board["outsider"])
    response = client.get(reverse("changes:attachment", args=[change.pk, stored[0].pk]))
    assert response.status_code == 404


# List page


def test_list_filters_by_state_risk_system(client, board, systems):
    low = new_change(board["requester"], [systems["mail"]], impact="low", likelihood="low",
                     title="Low risk mail change")
    high = new_change(board["requester"], [systems["core"]], impact="high", likelihood="high",
                      title="Critical core change")
    services.transition(high, "submit", board["requester"])
    client_for(client, board["cab1"])
    url = reverse("changes:list")
    assert high.title not in client.get(url, {"state": "draft"}).content.decode()
    assert low.title in client.get(url, {"state": "draft"}).content.decode()
    assert low.title not in client.get(url, {"risk": "critical"}).content.decode()
    by_system = client.get(url, {"system": systems["mail"].pk}).content.decode()
    assert low.title in by_system
    assert high.title not in by_system
    response = client.get(url, {"start_from": "2026-12-10", "start_to": "2026-12-01"})
    assert response.status_code == 400
    assert "is before" in response.content.decode()


def test_list_query_count_is_constant(client, board, systems):
    client_for(client, board["cab1"])
    url = reverse("changes:list")
    new_change(board["requester"], [systems["core"], systems["web"]])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(5):
        new_change(board["requester"], [systems["mail"]], title=f"Change {index}",
                   implementer=board["implementer"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 12


def test_list_shows_overdue_retrospective(client, board, systems):
    change = new_change(board["requester"], [systems["core"]], change_type="emergency")
    ChangeRequest.objects.filter(pk=change.pk).update(retrospective_due_on=in_days(-2).date())
    client_for(client, board["cab1"])
    body = client.get(reverse("changes:list")).content.decode()
    assert "Retrospective reviews overdue" in body
    assert "Retrospective overdue" in body


# Exports


def test_change_record_pdf_is_signed(client, board, systems):
    change = to_cab_review(new_change(board["requester"], [systems["core"]]), board)
    change = approve_by_majority(change, board)
    client_for(client, board["auditor"])
    response = client.get(reverse("changes:pdf", args=[change.pk]))
    assert response["Content-Type"] == "application/pdf"
    result = verify_pdf_bytes(response.content)
    assert result.valid, result.problem
    assert AuditEvent.objects.filter(action="change.record_exported").count() == 1
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert change.reference in text
    assert "Plan is sound." in text
    assert "send_to_cab" in text


def test_agenda_pdf_is_signed(client, board, systems):
    change = to_cab_review(new_change(board["requester"], [systems["core"]]), board)
    client_for(client, board["cab2"])
    page = client.get(reverse("changes:meeting")).content.decode()
    assert change.reference in page
    response = client.get(reverse("changes:agenda_pdf"))
    assert verify_pdf_bytes(response.content).valid
    client_for(client, board["requester"])
    assert client.get(reverse("changes:meeting")).status_code == 403


def test_csv_export_lists_period(client, board, systems):
    inside = new_change(board["requester"], [systems["core"]], start=in_days(3),
                        title="=HYPERLINK(\"x\")")
    new_change(board["requester"], [systems["web"]], start=in_days(40), title="Later change")
    client_for(client, board["auditor"])
    response = client.get(reverse("changes:export_csv"), {
        "start_from": in_days(0).date().isoformat(), "start_to": in_days(10).date().isoformat()
    })
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Reference", "Title", "Type", "State", "Risk"]
    assert len(rows) == 2
    assert rows[1][0] == inside.reference
    assert rows[1][1] == "'=HYPERLINK(\"x\")"
    assert rows[1][7] == "Core banking"


def test_xlsx_export_matches_csv(client, board, systems):
    change = new_change(board["requester"], [systems["core"], systems["mail"]])
    client_for(client, board["cab1"])
    response = client.get(reverse("changes:export_xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Reference"
    assert rows[1][0] == change.reference
    assert rows[1][3] == "Draft"
    assert rows[1][7] == "Core banking, Email"


def test_requester_cannot_export_list(client, board):
    client_for(client, board["requester"])
    assert client.get(reverse("changes:export_csv")).status_code == 403


# Calendar


def test_calendar_shows_changes_and_blackouts(client, board, systems):
    change = new_change(board["requester"], [systems["core"]], start=in_days(2))
    services.transition(change, "submit", board["requester"])
    BlackoutPeriod.objects.create(name="Audit freeze", starts_at=in_days(2),
                                  ends_at=in_days(3))
    client_for(client, board["cab1"])
    start = change.planned_start
    query = {"year": start.year, "month": start.month}
    for name in ("changes:calendar", "changes:calendar_list"):
        body = client.get(reverse(name), query).content.decode()
        assert change.reference in body, name
        assert "Audit freeze" in body, name
    bad = client.get(reverse("changes:calendar"), {"year": "x", "month": "13"})
    assert bad.status_code == 200


# Notifications


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_transition_notifies_once_per_recipient(board, systems):
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    services.transition(change, "submit", board["requester"])
    assert sorted(message.to[0] for message in mail.outbox) == [
        "implementer@example.test", "requester@example.test"
    ]
    assert mail.outbox[0].subject == f"{change.reference} was submitted"
    event = AuditEvent.objects.get(action="change.submit")
    sent_again = notify_change_event.apply(
        args=[change.pk, "submit", event.pk, "retry"]
    ).get()
    assert sent_again == 0
    assert len(mail.outbox) == 2
    assert Delivery.objects.filter(kind="change.submit").count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cab_review_notifies_voters(board, systems):
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    to_cab_review(change, board)
    voters = {m.to[0] for m in mail.outbox if m.subject.endswith("awaits your CAB vote")}
    assert voters == {"cab1@example.test", "cab2@example.test", "cab3@example.test",
                      "requester@example.test", "implementer@example.test"}


# Demo data


def test_seed_changes_is_idempotent(db):
    from policyhub.portal.demo import create_demo_accounts

    create_demo_accounts("Demo-Password-123!")
    call_command("seed_changes", stdout=io.StringIO())
    counts = ChangeRequest.objects.count(), ChangeRequest.history.count()
    states = set(ChangeRequest.objects.values_list("state", flat=True))
    call_command("seed_changes", stdout=io.StringIO())
    assert (ChangeRequest.objects.count(), ChangeRequest.history.count()) == counts
    assert {"draft", "cab_review", "scheduled", "closed", "implemented"} <= states


def test_admin_lists_change_snippets(client, board, systems):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.test", "x-Pass-123!")
    client.force_login(admin)
    for model in ("system", "standardchangetemplate", "blackoutperiod", "maintenancewindow"):
        response = client.get(f"/admin/snippets/changes/{model}/")
        assert response.status_code == 200, model
