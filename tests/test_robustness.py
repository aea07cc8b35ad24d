"""Hostile and careless input that must not forge evidence, duplicate
records or crash a page: duplicate archive members, renamed archives,
double submissions, malformed headers, locale dates and stray workflow steps.
"""

import io
import re
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from policyhub.attestations.models import Campaign
from policyhub.changes.attachments import check_attachment
from policyhub.exports.evidence_verify import verify_pack
from policyhub.exports.signing import signing_certificate_pem

from .conftest import REPO
from .test_evidence_packs import pack_file  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

FORGED_CSV = b"policy,version,user_id,name,acknowledged_at,content_sha256\nforged,9.9,1,X,,\n"


def _prepend_duplicate(source, target, name, data):
    """Copy the pack with a second member called ``name`` placed first."""
    with zipfile.ZipFile(source) as original:
        members = [(info, original.read(info)) for info in original.infolist()]
    with zipfile.ZipFile(target, "w") as copy:
        copy.writestr(name, data)
        for info, content in members:
            copy.writestr(info, content)
    return target


def test_pack_duplicate_member_invalid(pack_file, tmp_path):  # noqa: F811
    """A forged member placed before the genuine one of the same name must
    not pass: `unzip -p` and many tools read the first, zipfile the last."""
    tampered = _prepend_duplicate(
        pack_file, tmp_path / "dup.zip", "attestations/acknowledgements.csv", FORGED_CSV
    )
    report = verify_pack(tampered)
    assert not report.valid, "a pack holding two members with one name was reported VALID"


def test_standalone_verifier_duplicate_member(pack_file, tmp_path):  # noqa: F811
    tampered = _prepend_duplicate(
        pack_file, tmp_path / "dup.zip", "attestations/acknowledgements.csv", FORGED_CSV
    )
    cert = tmp_path / "cert.pem"
    cert.write_bytes(signing_certificate_pem())
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "docs" / "verify_evidence_pack.py"),
            "--trust",
            str(cert),
            str(tampered),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0, result.stdout


def _zip_bytes(entries, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_renamed_docx_rejected():
    """The module promises that a renamed archive is rejected whatever its name."""
    data = _zip_bytes([("payload.exe", b"MZ\x90\x00" + b"\x00" * 200), ("run.bat", b"calc")])
    upload = SimpleUploadedFile("report.docx", data)
    with pytest.raises(ValidationError):
        check_attachment(upload)


def test_zip_bomb_renamed_xlsx_rejected():
    """200 MB of zeros compressed into about 200 KB, named .xlsx."""
    data = _zip_bytes(
        [("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"\x00" * (200 * 1024 * 1024))],
        zipfile.ZIP_DEFLATED,
    )
    assert len(data) < 1024 * 1024
    upload = SimpleUploadedFile("figures.xlsx", data)
    with pytest.raises(ValidationError):
        check_attachment(upload)


def test_campaign_double_submit_creates_one(
    published_policy, personas, client, django_capture_on_commit_callbacks
):
    _, version = published_policy
    client.force_login(personas["author"])
    form_page = client.get("/campaigns/new/").content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', form_page).group(1)
    data = {
        "token": token,
        "name": "Annual attestation",
        "versions": [str(version.pk)],
        "audience": "all",
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "grace_days": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/campaigns/new/", data)
        second = client.post("/campaigns/new/", data)
    assert first.status_code == 302 and second.status_code == 302
    assert Campaign.objects.count() == 1, "a double-clicked Launch created two campaigns"
    assert first["Location"] == second["Location"]


def test_verify_page_malformed_content_length(personas, client):
    client.force_login(personas["employee"])
    client.raise_request_exception = False
    response = client.get("/exports/verify/", CONTENT_LENGTH="abc")
    assert response.status_code != 500


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_values(html):
    return re.findall(r'<input type="date" name="(\w+)" value="([^"]*)"', html)


@pytest.mark.parametrize(
    ("persona", "url"),
    [("employee", "/exceptions/request/access-control/"), ("auditor", "/exports/evidence/")],
)
def test_date_inputs_carry_iso_values(published_policy, personas, client, persona, url):
    """A browser drops a type=date value that is not YYYY-MM-DD, so the
    default end date or period shows as an empty field."""
    client.force_login(personas[persona])
    response = client.get(url)
    assert response.status_code == 200
    values = _date_values(response.content.decode())
    assert values, "no prefilled date input found"
    wrong = [(name, value) for name, value in values if not ISO_DATE.match(value)]
    assert not wrong, f"date inputs prefilled with non-ISO values: {wrong}"


def _submit_minor_edit(page, personas):
    from policyhub.policies.workflow import submit_for_approval

    draft = page.get_latest_revision_as_object()
    blocks = [(block.block_type, dict(block.value)) for block in draft.body]
    blocks[0][1]["content"] += "\n\nAn added sentence of wording."
    draft.body = blocks
    draft.save_revision(user=personas["author"])
    draft = page.get_latest_revision_as_object()
    submit_for_approval(draft, personas["author"], "Minor wording.", "minor")


def test_admin_dashboard_with_stray_step(published_policy, personas, client):
    """A management step left in progress after its workflow finished (as
    two parallel approvals of one owner step could leave it) must not break
    the admin dashboard for approvers."""
    from wagtail.models import TaskState, WorkflowState

    from policyhub.policies.models import PolicyPage
    from policyhub.policies.workflow import act_on_current_step

    page, _ = published_policy
    _submit_minor_edit(page, personas)
    page = PolicyPage.objects.get(pk=page.pk)
    act_on_current_step(page, personas["owner"], "approve", "Reviewed.")
    page = PolicyPage.objects.get(pk=page.pk)
    management_step = page.current_workflow_task_state.task.specific
    workflow_state = page.current_workflow_state
    act_on_current_step(page, personas["approver"], "approve", "Approved.")
    workflow_state = WorkflowState.objects.get(pk=workflow_state.pk)
    assert workflow_state.status == WorkflowState.STATUS_APPROVED
    management_step.start(workflow_state, user=personas["owner2"])
    assert TaskState.objects.filter(
        workflow_state=workflow_state, status=TaskState.STATUS_IN_PROGRESS
    ).exists()
    client.force_login(personas["approver2"])
    client.raise_request_exception = False
    assert client.get("/admin/").status_code == 200


def test_api_non_numeric_id_json_404(client, personas):
    anonymous = client.get("/api/v1/policies/abc/")
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"].startswith("application/json")
    client.force_login(personas["employee"])
    response = client.get("/api/v1/policies/abc/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "/api/v1/policies/abc/" in response.json()["detail"]


def test_past_end_date_iso_message(published_policy):
    import datetime

    from policyhub.exceptions.services import validate_request

    _, version = published_policy
    with pytest.raises(ValidationError) as caught:
        validate_request(version, [], datetime.date(1, 1, 1))
    assert "0001-01-01 is not in the future" in str(caught.value)


def _real_docx():
    import docx

    document = docx.Document()
    document.add_paragraph("Rollback plan: restore the previous release.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_genuine_docx_attachment_is_accepted():
    content_type, digest = check_attachment(SimpleUploadedFile("plan.docx", _real_docx()))
    assert content_type.endswith("wordprocessingml.document") or content_type == "application/zip"
    assert len(digest) == 64


def test_docx_with_macro_project_is_rejected():
    with zipfile.ZipFile(io.BytesIO(_real_docx())) as original:
        entries = [(info.filename, original.read(info)) for info in original.infolist()]
    data = _zip_bytes([*entries, ("word/vbaProject.bin", b"macro")], zipfile.ZIP_DEFLATED)
    with pytest.raises(ValidationError, match="vbaProject.bin"):
        check_attachment(SimpleUploadedFile("plan.docx", data))


def test_hidden_executable_extension_rejected():
    upload = SimpleUploadedFile("setup.exe.pdf", b"%PDF-1.7\nMZ" + b"\x00" * 100)
    with pytest.raises(ValidationError, match=r"\.exe"):
        check_attachment(upload)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_approvals_count_once(published_policy, personas):
    """Two owners approve the same owner-review step at the same moment: one
    approval counts, the other is refused, and one management step opens."""
    import threading

    from django.db import connection, connections
    from wagtail.models import TaskState

    from policyhub.audit.models import AuditEvent
    from policyhub.policies.models import PolicyPage
    from policyhub.policies.workflow import act_on_current_step

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises every write")
    page, _ = published_policy
    _submit_minor_edit(page, personas)
    page = PolicyPage.objects.get(pk=page.pk)
    workflow_state = page.current_workflow_state
    step_events = AuditEvent.objects.filter(action="policy.step_approved")
    events_before = step_events.count()
    barrier = threading.Barrier(2)
    outcomes = []

    def approve_as(name):
        try:
            barrier.wait()
            act_on_current_step(page, personas[name], "approve", "Reviewed.")
            outcomes.append("approved")
        except Exception as exc:  # noqa: BLE001 - the refusal is the outcome
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve_as, args=(n,)) for n in ("owner", "owner2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["PermissionDenied", "approved"], outcomes
    states = TaskState.objects.filter(workflow_state=workflow_state)
    assert states.filter(status=TaskState.STATUS_APPROVED).count() == 1
    assert states.filter(status=TaskState.STATUS_IN_PROGRESS).count() == 1
    assert step_events.count() == events_before + 1


def test_visibility_timeout_exceeds_stale_build_age():
    """Redis returns an unacknowledged task after the visibility timeout; by
    then a pack build the dead worker held must be stale enough to take over."""
    from policyhub.celery import app
    from policyhub.exports.evidence_service import STALE_AFTER

    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert STALE_AFTER.total_seconds() < timeout <= 3600
