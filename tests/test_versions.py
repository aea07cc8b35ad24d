"""Published versions: numbering, content hash and immutability."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.utils import DatabaseError

from policyhub.policies.models import PolicyApproval, PolicyVersion
from policyhub.policies.versioning import canonical_content, content_sha256

from .conftest import edit_and_approve

pytestmark = pytest.mark.django_db


def test_first_version_records_metadata(published_policy, personas):
    page, version = published_policy
    assert version.label == "1.0"
    assert version.change_type == "major"
    assert version.title == "Access Control Policy"
    assert version.submitted_by == personas["author"]
    assert "AC-1" in version.html_snapshot


def test_next_review_date_adds_interval(published_policy):
    _, version = published_policy
    effective = version.effective_date
    assert version.next_review_date.year == effective.year + 1
    assert version.next_review_date.month == effective.month


def test_approval_trail_records_each_step(published_policy, personas):
    _, version = published_policy
    approvals = list(version.approvals.order_by("step_order"))
    assert [a.step for a in approvals] == ["Owner review", "Management approval"]
    assert [a.approved_by for a in approvals] == [personas["owner"], personas["approver"]]
    assert approvals[1].comment.startswith("I approve version 1.0 of Access Control Policy.")
    assert approvals[1].comment.endswith("Approved.")


def test_content_hash_covers_canonical_content(published_policy):
    _, version = published_policy
    assert version.content_sha256 == content_sha256(version)
    assert b'"version":"1.0"' in canonical_content(version)


def test_minor_then_major_numbering(published_policy, personas):
    page, _ = published_policy
    minor = edit_and_approve(page, personas, "minor", "Typo fixed.", "A clarifying note.")
    major = edit_and_approve(page, personas, "major", "New rule.", "A new obligation.")
    assert minor.label == "1.1"
    assert minor.change_summary == "Typo fixed."
    assert major.label == "2.0"
    assert major.content_sha256 != minor.content_sha256
    assert page.current_version() == major


def test_version_cannot_be_saved_again(published_policy):
    _, version = published_policy
    version.change_summary = "Rewritten history"
    with pytest.raises(PermissionDenied):
        version.save()


def test_version_cannot_be_deleted(published_policy):
    _, version = published_policy
    with pytest.raises(PermissionDenied):
        version.delete()
    with pytest.raises(PermissionDenied):
        PolicyVersion.objects.filter(pk=version.pk).delete()
    with pytest.raises(PermissionDenied):
        PolicyVersion.objects.filter(pk=version.pk).update(change_summary="x")
    with pytest.raises(PermissionDenied):
        PolicyApproval.objects.filter(version=version).update(comment="x")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger exists on PostgreSQL only")
def test_database_rejects_raw_update(published_policy):
    _, version = published_policy
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE policies_policyversion SET change_summary = 'x' WHERE id = %s",
                [version.pk],
            )
    assert "immutable" in str(caught.value)
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM policies_policyapproval WHERE version_id = %s", [version.pk])
