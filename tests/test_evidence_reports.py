"""Evidence packs carry campaign and training reports, listed in the signed manifest."""

import csv
import hashlib
import io
import json
import uuid
import zipfile

import pytest
from django.utils import timezone

from policyhub.exports.evidence_verify import verify_pack
from policyhub.exports.models import EvidencePack
from policyhub.exports.signing import verify_pdf_bytes

from .test_campaigns import run_campaign
from .test_evidence_packs import flip_middle, rewrite
from .test_training_support import take_quiz, write_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(published_policy, personas, tmp_path, django_capture_on_commit_callbacks):
    _, version = published_policy
    campaign = run_campaign(personas["author"], [version], django_capture_on_commit_callbacks)
    module = write_module(tmp_path, slug="pack-module")
    other = write_module(tmp_path, slug="other-module")
    take_quiz(personas["employee"], module)
    return {"campaign": campaign, "module": module, "other": other}


def build(client, personas, capture, tmp_path, **choices):
    client.force_login(personas["auditor"])
    today = timezone.localdate().isoformat()
    form = {"token": str(uuid.uuid4()), "period_start": today, "period_end": today, **choices}
    with capture(execute=True):
        response = client.post("/exports/evidence/", form)
    assert response.status_code == 302, response.content[:500]
    pack = EvidencePack.objects.get()
    assert pack.status == "done", pack.error
    download = client.get(f"/exports/evidence/{pack.pk}/download/")
    target = tmp_path / "pack.zip"
    target.write_bytes(b"".join(download.streaming_content))
    return target


def read_csv(archive, name):
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))


def test_pack_contains_campaign_report(
    seeded, client, personas, django_capture_on_commit_callbacks, tmp_path
):
    campaign = seeded["campaign"]
    pack_file = build(client, personas, django_capture_on_commit_callbacks, tmp_path)
    folder = f"campaigns/{campaign.pk}-annual-attestation"

    with zipfile.ZipFile(pack_file) as archive:
        rows = read_csv(archive, f"{folder}/status.csv")
        pdf = archive.read(f"{folder}/report-signed.pdf")
        manifest = json.loads(archive.read("manifest.json"))
    assert rows[0][0] == "Campaign"
    assert len(rows) - 1 == campaign.assignments.count()
    assert {row[0] for row in rows[1:]} == {"Annual attestation"}
    assert verify_pdf_bytes(pdf).valid
    listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    assert listed[f"{folder}/report-signed.pdf"] == hashlib.sha256(pdf).hexdigest()
    assert "Attestation campaign reports" in manifest["sections"]


def test_pack_contains_training_reports(
    seeded, client, personas, django_capture_on_commit_callbacks, tmp_path
):
    pack_file = build(client, personas, django_capture_on_commit_callbacks, tmp_path)

    with zipfile.ZipFile(pack_file) as archive:
        names = set(archive.namelist())
        rows = read_csv(archive, "training/pack-module/status.csv")
        pdf = archive.read("training/pack-module/report-signed.pdf")
        manifest = json.loads(archive.read("manifest.json"))
    assert "training/other-module/status.csv" in names
    assert rows[0][:5] == ["Person", "Email", "Department", "Module", "Status"]
    statuses = {row[0]: row[4] for row in rows[1:]}
    assert statuses["Employee Persona"] == "Completed"
    assert statuses["Owner Persona"] == "To do"
    assert verify_pdf_bytes(pdf).valid
    listed = {entry["name"] for entry in manifest["files"]}
    assert {"training/pack-module/status.csv", "training/pack-module/report-signed.pdf"} <= listed


def test_pack_limits_reports_to_selection(
    seeded, client, personas, django_capture_on_commit_callbacks, tmp_path
):
    module = seeded["module"]
    pack_file = build(
        client,
        personas,
        django_capture_on_commit_callbacks,
        tmp_path,
        training_modules=[module.pk],
        campaigns=[seeded["campaign"].pk],
    )

    with zipfile.ZipFile(pack_file) as archive:
        names = set(archive.namelist())
    assert "training/pack-module/status.csv" in names
    assert not any(name.startswith("training/other-module/") for name in names)
    pack = EvidencePack.objects.get()
    assert pack.training_module_ids == [module.pk]
    assert pack.campaign_ids == [seeded["campaign"].pk]


def test_report_pack_verifies_and_detects_change(
    seeded, client, personas, django_capture_on_commit_callbacks, tmp_path
):
    pack_file = build(client, personas, django_capture_on_commit_callbacks, tmp_path)
    member = "training/pack-module/status.csv"

    assert verify_pack(pack_file).valid, verify_pack(pack_file).problems
    tampered = rewrite(
        pack_file,
        tmp_path / "tampered.zip",
        lambda name, data: flip_middle(data) if name == member else data,
    )
    report = verify_pack(tampered)
    assert not report.valid
    assert any(member in problem for problem in report.problems), report.problems


def test_unknown_campaign_choice_rejected(seeded, client, personas):
    client.force_login(personas["auditor"])
    today = timezone.localdate().isoformat()
    response = client.post(
        "/exports/evidence/",
        {
            "token": str(uuid.uuid4()),
            "period_start": today,
            "period_end": today,
            "campaigns": [999999],
        },
    )

    assert response.status_code == 400
    assert not EvidencePack.objects.exists()
