# ruff: noqa: F811 - pytest fixtures imported from procedure_fixtures are redefined as arguments
"""Procedures: import checks, scheduled runs per period, evidence, sign-off,
reminders and escalation, signed run records and evidence packs."""

import datetime
import uuid
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from policyhub.audit.models import AuditEvent
from policyhub.exports.evidence_verify import verify_pack
from policyhub.exports.models import EvidencePack
from policyhub.exports.signing import verify_pdf_bytes
from policyhub.policies.importer import ImportFailed
from policyhub.policies.models import PolicyPage
from policyhub.procedures import services
from policyhub.procedures.loader import import_library
from policyhub.procedures.models import ProcedurePage, ProcedureRun, StepEvidence
from policyhub.procedures.pdf import signed_run_pdf_for
from policyhub.procedures.schedule import period_at

from .conftest import SEED_DIR, make_user
from .procedure_fixtures import (  # noqa: F401 - fixtures
    copy_library,
    evidence_for,
    perform_all,
    performers,
    procedure,
)

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def at(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def london(settings):
    settings.TIME_ZONE = "Europe/London"


def set_schedule(page, schedule, cron=""):
    ProcedurePage.objects.filter(pk=page.pk).update(schedule=schedule, schedule_cron=cron)
    page.refresh_from_db()
    return page


# Import


def test_seed_library_has_procedure_per_policy():
    report = import_library(SEED_DIR)
    assert len(report.policies.created) == 9
    assert len(report.procedures.created) == 10
    for policy in PolicyPage.objects.exact_type(PolicyPage):
        assert ProcedurePage.objects.child_of(policy).exists(), policy.slug


def procedure_file(tmp_path, old, new):
    source = copy_library(tmp_path)
    path = source / "procedures" / "user-access-review.md"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return source, path


BAD_FRONT_MATTER = [
    (
        "parent_policy: access-control",
        "parent_policy: no-such-policy",
        "field 'parent_policy' names unknown policy 'no-such-policy'",
    ),
    ("schedule: quarterly", "schedule: fortnightly", "field 'schedule' is 'fortnightly'"),
    (
        "schedule: quarterly",
        'schedule:\n  cron: "61 * * * *"',
        "field 'schedule' has cron expression '61 * * * *', which is not valid",
    ),
    ("    evidence: note", "    evidence: photo", "'evidence' is 'photo'"),
    ("  - number: 2\n", "  - number: 1\n", "field 'steps' uses number 1 twice"),
    (
        "  - Security Operations",
        "  - Night Shift",
        "field 'performer_roles' names unknown role 'Night Shift'",
    ),
    ("due_days: 21", "due_days: 0", "field 'due_days' is 0"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_FRONT_MATTER)
def test_bad_front_matter_imports_nothing(tmp_path, old, new, message):
    source, path = procedure_file(tmp_path, old, new)
    with pytest.raises(ImportFailed) as caught:
        import_library(source)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    assert not PolicyPage.objects.exists()


def test_missing_steps_rejected_by_command(tmp_path):
    source, path = procedure_file(tmp_path, "steps:", "old_steps:")
    with pytest.raises(CommandError) as caught:
        call_command("load_policies", str(source))
    assert f"{path}: unknown front matter field 'old_steps'" in str(caught.value)
    assert f"{path}: missing front matter field 'steps'" in str(caught.value)
    assert not PolicyPage.objects.exists()


def test_procedure_version_snapshot_has_steps(procedure):
    version = procedure.current_version()
    assert version.label == "1.0"
    assert '<section id="steps"><h2>Steps</h2>' in version.html_snapshot
    assert "Export the account lists" in version.html_snapshot
    assert procedure.get_parent().slug == "access-control"


# Schedule periods


@pytest.mark.parametrize(
    ("schedule", "moment", "key"),
    [
        ("monthly", "2026-03-31T22:59:00", "2026-03"),
        ("monthly", "2026-03-31T23:00:00", "2026-04"),
        ("quarterly", "2026-06-30T23:30:00", "2026-Q3"),
        ("annually", "2026-12-31T23:59:00", "2026"),
    ],
)
def test_period_key_uses_local_time(london, schedule, moment, key):
    assert period_at(schedule, "", at(moment)).key == key


def test_duplicate_ticks_create_one_run(procedure, london):
    now = at("2026-05-03T07:00:00")
    for _ in range(3):
        services.create_due_runs(now=now)
    services.create_scheduled_run(procedure, now=now + datetime.timedelta(hours=5))
    runs = ProcedureRun.objects.filter(procedure=procedure)
    assert [run.period_key for run in runs] == ["2026-Q2"]
    assert runs.get().steps.count() == 6
    assert runs.get().due_date == datetime.date(2026, 4, 22)


def ticks(start, end, minutes=15):
    moment = at(start)
    while moment <= at(end):
        yield moment
        moment += datetime.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("start", "end", "keys"),
    [
        # Clocks go back at 02:00 BST on 25 October 2026: 01:30 happens twice.
        ("2026-10-24T23:00:00", "2026-10-25T03:00:00", ["cron:2026-10-25T01:30"]),
        # Clocks go forward at 01:00 GMT on 29 March 2026: 01:30 never happens.
        ("2026-03-28T23:45:00", "2026-03-29T03:00:00", ["cron:2026-03-29T02:00"]),
    ],
)
def test_one_run_per_period_across_dst(procedure, london, start, end, keys):
    set_schedule(procedure, "cron", "30 1 * * *")
    for moment in ticks(start, end):
        services.create_due_runs(now=moment)
        services.create_due_runs(now=moment)
    created = list(
        ProcedureRun.objects.filter(procedure=procedure, period_key__gte=keys[0])
        .order_by("period_key")
        .values_list("period_key", flat=True)
    )
    assert created == keys


def test_database_rejects_second_run_for_period(procedure):
    from django.db import IntegrityError, transaction

    run, _ = services.create_scheduled_run(procedure)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcedureRun.objects.create(
            procedure=procedure,
            version=run.version,
            period_key=run.period_key,
            trigger="scheduled",
            due_date=run.due_date,
            created_by=run.created_by,
        )


def test_on_demand_procedure_gets_no_scheduled_run(procedure):
    set_schedule(procedure, "")
    assert services.create_scheduled_run(procedure) == (None, False)


def test_invalid_cron_names_value(procedure):
    from django.core.exceptions import ValidationError

    procedure.schedule = "cron"
    procedure.schedule_cron = "every monday"
    with pytest.raises(ValidationError) as caught:
        procedure.clean()
    assert "'every monday' is not valid" in str(caught.value)


# Manual runs


def test_manual_double_submit_creates_one_run(procedure, performers):
    token = uuid.uuid4()
    first, created = services.start_manual_run(
        procedure, performers["performer"], token, "Leaver: J. Smith"
    )
    second, created_again = services.start_manual_run(
        procedure, performers["performer"], token, "Leaver: J. Smith"
    )
    assert created and not created_again
    assert first.pk == second.pk
    assert ProcedureRun.objects.count() == 1


def test_outsider_cannot_start_run(procedure, performers):
    with pytest.raises(PermissionDenied):
        services.start_manual_run(procedure, performers["employee"], uuid.uuid4(), "x")
    assert not ProcedureRun.objects.exists()


# Evidence and completion


@pytest.fixture
def run(procedure):
    return services.create_scheduled_run(procedure)[0]


def test_completion_blocked_without_evidence(run, performers):
    user = performers["performer"]
    for step in run.steps.order_by("number")[:5]:
        services.complete_step(run, step.number, user, **evidence_for(step))
    with pytest.raises(services.RunError) as caught:
        services.complete_run(run, user)
    assert "step(s) 6 still need" in str(caught.value)
    run.refresh_from_db()
    assert run.status == ProcedureRun.Status.IN_PROGRESS


def test_step_rejects_wrong_or_empty_evidence(run, performers):
    user = performers["performer"]
    with pytest.raises(services.RunError, match="needs a file, not 'note'"):
        services.complete_step(run, 1, user, kind="note", note="done")
    with pytest.raises(services.RunError, match="write the note"):
        services.complete_step(run, 4, user, kind="note", note="  ")
    with pytest.raises(services.RunError, match="'ftp://x' is not an http"):
        services.complete_step(run, 3, user, kind="link", url="ftp://x")
    assert not StepEvidence.objects.exists()


def test_renamed_executable_rejected(run, performers):
    from django.core.exceptions import ValidationError

    upload = SimpleUploadedFile("accounts.png", b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(ValidationError, match="accounts.png is named .png"):
        services.complete_step(run, 1, performers["performer"], kind="file", upload=upload)
    assert not StepEvidence.objects.exists()


def test_oversized_file_rejected(run, performers, settings):
    from django.core.exceptions import ValidationError

    settings.CHANGES_ATTACHMENT_MAX_BYTES = 10
    upload = SimpleUploadedFile("accounts.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(ValidationError, match="the limit is 10 bytes"):
        services.complete_step(run, 1, performers["performer"], kind="file", upload=upload)


def test_outsider_cannot_give_evidence(run, performers):
    with pytest.raises(PermissionDenied):
        services.complete_step(run, 6, performers["employee"], kind="checkbox", confirmed=True)


def test_evidence_is_immutable(run, performers):
    services.complete_step(run, 6, performers["performer"], kind="checkbox", confirmed=True)
    evidence = StepEvidence.objects.get()
    evidence.note = "changed"
    with pytest.raises(PermissionDenied):
        evidence.save()
    with pytest.raises(PermissionDenied):
        StepEvidence.objects.all().delete()


# Sign-off


@pytest.fixture
def completed(run, performers):
    perform_all(run, performers["performer"])
    return services.complete_run(run, performers["performer"])


def test_sign_off_by_second_person(completed, performers):
    assert completed.status == ProcedureRun.Status.AWAITING_SIGN_OFF
    run = services.sign_off(completed, performers["owner2"], "Checked the samples.")
    assert run.status == ProcedureRun.Status.COMPLETED
    assert run.signed_off_by == performers["owner2"]


def test_performer_cannot_sign_off(completed, performers):
    from django.contrib.auth.models import Group

    performer = performers["performer"]
    performer.groups.add(Group.objects.get(name="Policy Owners"))
    assert not services.can_sign_off(performer, completed)
    with pytest.raises(PermissionDenied, match="You performed this run"):
        services.sign_off(completed, performer)
    completed.refresh_from_db()
    assert completed.status == ProcedureRun.Status.AWAITING_SIGN_OFF


def test_evidence_provider_cannot_sign_off(run, performers):
    from django.contrib.auth.models import Group

    colleague = performers["colleague"]
    colleague.groups.add(Group.objects.get(name="Policy Owners"))
    services.complete_step(run, 6, colleague, kind="checkbox", confirmed=True)
    perform_all(run, performers["performer"])
    services.complete_run(run, performers["performer"])
    with pytest.raises(PermissionDenied):
        services.sign_off(run, colleague)


def test_non_member_cannot_sign_off(completed, performers):
    with pytest.raises(PermissionDenied, match="Only members of Policy Owners"):
        services.sign_off(completed, performers["approver"])


def test_run_events_are_audited(completed, performers):
    services.sign_off(completed, performers["owner2"])
    actions = list(
        AuditEvent.objects.filter(object_type="procedures.procedurerun")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[0] == "procedure.run_created"
    assert actions[1] == "procedure.run_started"
    assert actions.count("procedure.step_evidenced") == 6
    assert actions[-2:] == ["procedure.run_completed", "procedure.run_signed_off"]


def test_run_history_names_actor(completed, performers):
    assert completed.history.first().history_user == performers["performer"]
    assert completed.history.last().history_user.username == "system"


# Signed PDF and evidence pack


@pytest.fixture
def signed_off(completed, performers):
    return services.sign_off(completed, performers["owner2"])


def test_run_pdf_verifies_and_lists_hashes(signed_off):
    record = signed_run_pdf_for(signed_off, actor="test")
    with record.file.open("rb") as handle:
        data = handle.read()
    result = verify_pdf_bytes(data)
    assert result.valid, result.problem
    text = "".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(data)).pages)
    text = "".join(text.split())
    for evidence in StepEvidence.objects.filter(step__run=signed_off):
        assert evidence.sha256 in text
    assert signed_run_pdf_for(signed_off).pk == record.pk


def test_unfinished_run_has_no_pdf(completed):
    with pytest.raises(ValueError, match="only completed runs"):
        signed_run_pdf_for(completed)


def test_pdf_changed_byte_is_invalid(signed_off):
    record = signed_run_pdf_for(signed_off)
    with record.file.open("rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 3] ^= 0x01
    assert not verify_pdf_bytes(bytes(data)).valid


def test_evidence_pack_includes_runs(signed_off, performers, tmp_path):
    from django.utils import timezone

    from policyhub.exports.evidence_service import run_build

    open_run, _ = services.start_manual_run(
        signed_off.procedure, performers["performer"], uuid.uuid4(), "Extra review"
    )
    today = timezone.localdate()
    pack = EvidencePack.objects.create(
        requested_by=performers["auditor"],
        request_token=uuid.uuid4(),
        period_start=today - datetime.timedelta(days=1),
        period_end=today,
        include_audit=False,
    )
    run_build(pack.pk, actor="test")
    pack.refresh_from_db()
    assert pack.status == "done", pack.error
    target = tmp_path / "pack.zip"
    with default_storage.open(pack.file.name, "rb") as source:
        target.write_bytes(source.read())
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        listing = archive.read("procedures/runs.csv").decode()
    folder = f"procedures/user-access-review/run-{signed_off.pk}"
    assert f"{folder}/{signed_off.signed_pdf.filename}" in names
    assert any(name.startswith(f"{folder}/evidence/step-1-") for name in names)
    assert f",{open_run.pk},manual:" in listing
    assert verify_pack(target).valid


def test_pack_filtered_by_parent_policy(signed_off, performers):
    from django.utils import timezone

    from policyhub.procedures.evidence_section import runs_for_pack

    today = timezone.localdate()
    pack = EvidencePack(period_start=today, period_end=today, policy_slugs=["access-control"])
    assert list(runs_for_pack(pack)) == [signed_off]
    pack.policy_slugs = ["cryptography"]
    assert list(runs_for_pack(pack)) == []


def test_outsider_sees_no_runs(run, performers):
    from policyhub.procedures.permissions import visible_runs

    outsider = make_user("stranger")
    assert not visible_runs(outsider).exists()
    assert visible_runs(performers["performer"]).get() == run
    assert visible_runs(performers["manager"]).count() == 0


def test_procedure_audience_is_performers(procedure, performers):
    from policyhub.attestations.campaigns import policy_audience_ids

    expected = sorted([performers["performer"].pk, performers["colleague"].pk])
    assert policy_audience_ids(procedure) == expected


def test_as_of_counts_only_performers(procedure, performers):
    from django.utils import timezone

    from policyhub.policies.asof import policies_in_force

    entries = {entry.policy.slug: entry for entry in policies_in_force(timezone.localdate())}
    assert entries["user-access-review"].total == 2
    assert entries["access-control"].total > 2
