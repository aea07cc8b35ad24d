"""Regression tests for ways a hostile or careless user tried to break the
approval, import and verification rules."""

import io
import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from policyhub.exports.services import signed_pdf_for
from policyhub.exports.signing import verify_pdf_bytes
from policyhub.policies.importer import ImportFailed
from policyhub.policies.loader import import_policies
from policyhub.policies.models import PolicyPage
from policyhub.policies.workflow import act_on_current_step, submit_for_approval

from .conftest import SEED_DIR, make_user

pytestmark = pytest.mark.django_db

FRONT = """---
title: {title}
slug: {slug}
summary: {summary}
owner_role: CISO
approver_group: Approvers
review_interval_months: 12
classification: Internal
iso27001_controls:
  - "5.1 Policies"
---
## Purpose
Text.
"""


def write(directory, name, **fields):
    values = {"title": "Test", "slug": "test", "summary": "Summary.", **fields}
    path = Path(directory) / name
    path.write_text(FRONT.format(**values), encoding="utf-8")
    return path


def test_draft_author_cannot_review_after_other_submits(published_policy, personas):
    page, _ = published_policy
    owner2 = personas["owner2"]
    draft = page.get_latest_revision_as_object()
    draft.summary = "Edited by the second owner."
    draft.save_revision(user=owner2)
    submit_for_approval(page.get_latest_revision_as_object(), personas["author"], "Edit.", "minor")
    with pytest.raises(PermissionDenied):
        act_on_current_step(page, owner2, "approve")


def test_one_person_cannot_approve_both_steps(published_policy, personas):
    page, _ = published_policy
    dual = make_user("dual", "Policy Owners", "Approvers")
    draft = page.get_latest_revision_as_object()
    draft.summary = "Changed."
    submit_for_approval(draft, personas["author"], "Edit.", "minor")
    act_on_current_step(page, dual, "approve")
    with pytest.raises(PermissionDenied):
        act_on_current_step(page, dual, "approve")
    act_on_current_step(page, personas["approver"], "approve")
    assert PolicyPage.objects.get(pk=page.pk).current_version().label == "1.1"


def test_management_step_works_from_dashboard_url(published_policy, personas, client):
    page, _ = published_policy
    draft = page.get_latest_revision_as_object()
    draft.summary = "Changed."
    submit_for_approval(draft, personas["author"], "Edit.", "minor")
    act_on_current_step(page, personas["owner"], "approve")
    task_state = PolicyPage.objects.get(pk=page.pk).current_workflow_task_state
    client.force_login(personas["approver"])
    session = client.session
    session["reauthenticated_at"] = 9e12  # any recent-authentication marker is refreshed below
    session.save()
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))
    actions = task_state.task.specific.get_actions(PolicyPage.objects.get(pk=page.pk).page_ptr, personas["approver"])
    assert [name for name, _, _ in actions] == ["reject", "approve", "approve"]
    assert client.get(url).status_code in (200, 302)


def test_scheduling_fields_are_not_offered(published_policy, personas, client):
    page, _ = published_policy
    client.force_login(personas["author"])
    form = client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,))).context["form"]
    assert "go_live_at" not in form.fields
    assert "expire_at" not in form.fields


def test_scheduled_revision_is_not_published(published_policy, personas):
    import datetime

    from django.utils import timezone

    page, _ = published_policy
    draft = page.get_latest_revision_as_object()
    draft.go_live_at = timezone.now() + datetime.timedelta(days=1)
    submit_for_approval(draft, personas["author"], "Scheduled.", "minor")
    act_on_current_step(page, personas["owner"], "approve")
    with pytest.raises(PermissionDenied):
        act_on_current_step(page, personas["approver"], "approve")
    assert PolicyPage.objects.get(pk=page.pk).versions.count() == 1


def test_reviewer_can_preview_draft(published_policy, personas, client):
    page, _ = published_policy
    client.force_login(personas["owner"])
    response = client.get(reverse("wagtailadmin_pages:view_draft", args=(page.pk,)))
    assert response.status_code == 200
    assert "Preview of a draft" in response.content.decode()


def test_wagtail_login_redirects_to_portal_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_employee_gets_403_not_loop_on_admin(personas, client):
    client.force_login(personas["employee"])
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/pages/").status_code == 403


def test_wagtail_default_groups_removed(db):
    assert not Group.objects.filter(name__in=["Moderators", "Editors"]).exists()


def test_import_refuses_page_under_review(seed_copy, personas):
    import_policies(seed_copy)
    page = PolicyPage.objects.get(slug="cryptography")
    submit_for_approval(page.get_latest_revision_as_object(), personas["author"], "First.")
    path = seed_copy / "cryptography.md"
    path.write_text(path.read_text() + "\nMore.\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_policies(seed_copy)
    assert "has a revision awaiting approval" in caught.value.errors[0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "'   '"}, "field 'title' must not be blank"),
        ({"summary": "'  '"}, "field 'summary' must not be blank"),
        ({"slug": '"slug-nl\\n"'}, "field 'slug' is 'slug-nl\\n'"),
    ],
)
def test_blank_and_newline_fields_rejected(tmp_path, fields, message):
    write(tmp_path, "a.md", **fields)
    with pytest.raises(CommandError) as caught:
        call_command("load_policies", str(tmp_path), stdout=StringIO())
    assert message in str(caught.value)


def test_yaml_aliases_rejected(tmp_path):
    text = (
        '---\na: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\ntitle: *b\n---\n## Purpose\nx\n"
    )
    (tmp_path / "bomb.md").write_text(text)
    with pytest.raises(ImportFailed) as caught:
        import_policies(tmp_path)
    assert "uses YAML aliases" in caught.value.errors[0]
    assert len(caught.value.errors[0]) < 300


def test_importer_edge_cases(tmp_path):
    path = write(tmp_path, "upper.MD", slug="upper")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    write(tmp_path, "org.md", slug="org", title="'{{ organisation }} Rules'")
    report = import_policies(tmp_path)
    assert sorted(report.created) == ["org", "upper"]
    assert PolicyPage.objects.get(slug="org").title.endswith(" Rules")
    assert "{{" not in PolicyPage.objects.get(slug="org").title


def test_oversized_file_rejected(tmp_path):
    path = write(tmp_path, "big.md")
    path.write_text(path.read_text() + "x" * (1024 * 1024))
    with pytest.raises(ImportFailed) as caught:
        import_policies(tmp_path)
    assert "policy files are limited to" in caught.value.errors[0]


def test_symlink_outside_directory_rejected(tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("secret")
    source = tmp_path / "source"
    source.mkdir()
    (source / "x.md").symlink_to(outside)
    with pytest.raises(ImportFailed) as caught:
        import_policies(source)
    assert "is a link to a file outside" in caught.value.errors[0]
    assert "secret" not in caught.value.errors[0]


def test_long_heading_rejected(tmp_path):
    path = write(tmp_path, "a.md")
    path.write_text(path.read_text() + "\n## " + "H" * 201 + "\ntext\n")
    with pytest.raises(ImportFailed) as caught:
        import_policies(tmp_path)
    assert "section heading longer than 200 characters" in caught.value.errors[0]


def test_repeated_headings_get_unique_anchors(tmp_path):
    path = write(tmp_path, "a.md")
    path.write_text(path.read_text() + "\n## Purpose\nAgain.\n")
    import_policies(tmp_path)
    anchors = [anchor for anchor, _, _ in PolicyPage.objects.get(slug="test").sections()]
    assert anchors == ["section-purpose", "section-purpose-2"]


def test_unapproved_group_rejected(tmp_path):
    path = write(tmp_path, "a.md")
    path.write_text(path.read_text().replace("approver_group: Approvers", "approver_group: Employees"))
    with pytest.raises(ImportFailed) as caught:
        import_policies(tmp_path)
    assert "approver groups: Approvers" in caught.value.errors[0]


def test_every_byte_of_signature_field_is_checked(published_policy):
    _, version = published_policy
    with signed_pdf_for(version).file.open("rb") as handle:
        data = handle.read()
    start, first, second, _ = (
        int(v) for v in re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", data).groups()
    )
    gap_start, gap_end = start + first, second
    positions = [gap_start + 1, gap_start + 40, gap_end - 2, gap_end - 200, (gap_start + gap_end) // 2]
    for position in positions:
        for bit in (0x01, 0x20):
            changed = bytearray(data)
            changed[position] ^= bit
            assert not verify_pdf_bytes(bytes(changed)).valid, (position, bit)


def test_probing_version_ids_gets_403(published_policy, personas, client):
    _, version = published_policy
    client.force_login(personas["employee"])
    assert client.get(f"/exports/versions/{version.pk}/signed.pdf").status_code == 403
    assert client.get("/exports/versions/987654/signed.pdf").status_code == 403


def test_verify_page_refuses_large_declared_upload(personas, client, settings):
    settings.POLICYHUB_VERIFY_MAX_BYTES = 1000
    client.force_login(personas["employee"])
    response = client.post(
        "/exports/verify/", {"pdf": io.BytesIO(b"%PDF-" + b"0" * 200_000)},
    )
    assert response.status_code == 413
    assert "the limit is 1,000 bytes" in response.content.decode()


def test_export_refuses_to_overwrite(published_policy, tmp_path):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"keep me")
    with pytest.raises(CommandError) as caught:
        call_command("export_policy", "access-control", "--output", str(target))
    assert "add --force" in str(caught.value)
    assert target.read_bytes() == b"keep me"
    call_command("export_policy", "access-control", "--output", str(target), "--force", stdout=StringIO())
    assert target.read_bytes().startswith(b"%PDF")


def test_verify_pdf_rejects_non_certificate_trust_file(tmp_path):
    trust = tmp_path / "hostname"
    trust.write_text("not a certificate")
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    with pytest.raises(CommandError) as caught:
        call_command("verify_pdf", str(pdf), "--trust", str(trust))
    assert "holds no PEM certificate" in str(caught.value)


def test_seed_still_imports_after_hardening():
    assert len(import_policies(SEED_DIR).created) == 9


