"""Evidence packs: built by a task, signed manifest, verified offline."""

import datetime
import json
import subprocess
import sys
import uuid
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from policyhub.attestations.services import acknowledge
from policyhub.exports.evidence import versions_in_force
from policyhub.exports.evidence_verify import verify_pack
from policyhub.exports.models import EvidencePack
from policyhub.exports.signing import signing_certificate_pem

from .conftest import REPO, edit_and_approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack_file(published_policy, personas, client, tmp_path, django_capture_on_commit_callbacks):
    page, version = published_policy
    acknowledge(personas["employee"], version, version.content_sha256)
    client.force_login(personas["auditor"])
    today = timezone.localdate().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/exports/evidence/",
            {"token": str(uuid.uuid4()), "period_start": today, "period_end": today,
             "include_audit": "on"},
        )
    assert response.status_code == 302
    pack = EvidencePack.objects.get()
    assert pack.status == "done", pack.error
    download = client.get(f"/exports/evidence/{pack.pk}/download/")
    assert download.status_code == 200
    target = tmp_path / "pack.zip"
    target.write_bytes(b"".join(download.streaming_content))
    return target


def test_pack_contains_signed_manifest(pack_file):
    with zipfile.ZipFile(pack_file) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    assert "manifest.json.p7s" in names
    assert "policies/access-control/access-control-v1.0-signed.pdf" in names
    assert "attestations/acknowledgements.csv" in names
    assert "audit/audit-events.csv" in names
    assert {entry["name"] for entry in manifest["files"]} <= names
    with zipfile.ZipFile(pack_file) as archive:
        acks = archive.read("attestations/acknowledgements.csv").decode()
        chain = archive.read("audit/chain-verification.txt").decode()
    assert "access-control,1.0" in acks
    assert "intact" in chain


def test_pack_verifies(pack_file):
    report = verify_pack(pack_file)
    assert report.valid, report.problems
    assert report.checked >= 4


def rewrite(pack_file, target, change):
    """Copy the pack, passing each member's bytes through ``change(name, data)``."""
    with zipfile.ZipFile(pack_file) as source, zipfile.ZipFile(target, "w") as copy:
        for name in source.namelist():
            data = change(name, source.read(name))
            if data is not None:
                copy.writestr(name, data)
    return target


def flip_middle(data):
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 1
    return bytes(changed)


@pytest.mark.parametrize(
    "member",
    ["policies/access-control/access-control-v1.0-signed.pdf",
     "attestations/acknowledgements.csv", "manifest.json", "audit/audit-events.csv"],
)
def test_changed_byte_in_any_file_is_reported(pack_file, tmp_path, member):
    tampered = rewrite(
        pack_file, tmp_path / "tampered.zip",
        lambda name, data: flip_middle(data) if name == member else data,
    )
    report = verify_pack(tampered)
    assert not report.valid
    assert any(member in problem for problem in report.problems), report.problems


def test_removed_and_added_files_are_reported(pack_file, tmp_path):
    def change(name, data):
        return None if name == "attestations/acknowledgements.csv" else data

    tampered = rewrite(pack_file, tmp_path / "t.zip", change)
    with zipfile.ZipFile(tampered, "a") as archive:
        archive.writestr("extra.txt", b"smuggled")
    problems = verify_pack(tampered).problems
    assert "attestations/acknowledgements.csv: listed in the manifest but missing." in problems
    assert "extra.txt: in the pack but not listed in the manifest." in problems


def test_verify_evidence_command(pack_file, tmp_path):
    call_command("verify_evidence", str(pack_file))
    tampered = rewrite(pack_file, tmp_path / "t.zip", lambda n, d: flip_middle(d) if n.endswith(".csv") else d)
    with pytest.raises(CommandError) as caught:
        call_command("verify_evidence", str(tampered))
    assert "INVALID" in str(caught.value)
    with pytest.raises(CommandError):
        call_command("verify_evidence", str(tmp_path / "missing.zip"))


def test_standalone_script_verifies_pack(pack_file, tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_bytes(signing_certificate_pem())
    script = REPO / "docs" / "verify_evidence_pack.py"
    good = subprocess.run(
        [sys.executable, str(script), str(pack_file), "--trust", str(cert)],
        capture_output=True, text=True, check=False,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "VALID" in good.stdout
    tampered = rewrite(pack_file, tmp_path / "t.zip", lambda n, d: flip_middle(d) if n.endswith(".pdf") else d)
    bad = subprocess.run(
        [sys.executable, str(script), str(tampered), "--trust", str(cert)],
        capture_output=True, text=True, check=False,
    )
    assert bad.returncode == 1
    assert "INVALID" in bad.stdout


def test_double_submit_builds_one_pack(published_policy, personas, client):
    client.force_login(personas["auditor"])
    today = timezone.localdate().isoformat()
    data = {"token": str(uuid.uuid4()), "period_start": today, "period_end": today}
    first = client.post("/exports/evidence/", data)
    second = client.post("/exports/evidence/", data)
    assert first["Location"] == second["Location"]
    assert EvidencePack.objects.count() == 1


def test_pack_form_rejects_bad_period(personas, client):
    client.force_login(personas["auditor"])
    response = client.post(
        "/exports/evidence/",
        {"token": str(uuid.uuid4()), "period_start": "2026-06-30", "period_end": "2026-01-01"},
    )
    assert response.status_code == 400
    assert "swap the dates" in response.content.decode()
    assert not EvidencePack.objects.exists()


def test_employee_cannot_build_packs(personas, client):
    client.force_login(personas["employee"])
    assert client.get("/exports/evidence/").status_code == 403


def test_other_auditor_cannot_see_pack(published_policy, personas, client):
    client.force_login(personas["auditor"])
    today = timezone.localdate().isoformat()
    client.post("/exports/evidence/", {"token": str(uuid.uuid4()), "period_start": today, "period_end": today})
    pack = EvidencePack.objects.get()
    client.force_login(personas["author"])
    assert client.get(f"/exports/evidence/{pack.pk}/").status_code == 404


def test_versions_in_force_cover_superseded_in_period(published_policy, personas):
    page, first = published_policy
    second = edit_and_approve(page, personas, "major", "New duty.", "A duty.")
    today = timezone.localdate()
    pack = EvidencePack(period_start=today - datetime.timedelta(days=1), period_end=today, policy_slugs=[])
    assert versions_in_force(pack) == [first, second]


pytest_plugins = ["tests.test_changes_support"]


def test_pack_includes_changes(board, systems, tmp_path, settings):
    from django.core.files.storage import default_storage

    from policyhub.exports.evidence_service import run_build

    from .test_changes_support import new_change

    change = new_change(board["requester"], [systems["core"]], start=timezone.now())
    today = timezone.localdate()
    pack = EvidencePack.objects.create(
        requested_by=board["auditor"], request_token=uuid.uuid4(), period_start=today,
        period_end=today, include_audit=False,
    )
    run_build(pack.pk, actor="test")
    pack = EvidencePack.objects.get(pk=pack.pk)
    assert pack.status == "done", pack.error
    target = tmp_path / "pack.zip"
    with default_storage.open(pack.file.name, "rb") as source:
        target.write_bytes(source.read())
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        listing = archive.read("changes/change-list.csv").decode()
    assert f"changes/records/{change.reference}.pdf" in names
    assert change.reference in listing
    assert verify_pack(target).valid
