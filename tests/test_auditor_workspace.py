"""As-of reconstruction and version comparison for auditors."""

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from policyhub.attestations.models import Acknowledgement
from policyhub.attestations.services import acknowledge
from policyhub.exports.signing import verify_pdf_bytes
from policyhub.policies.asof import policies_in_force
from policyhub.policies.redline import compare_html, summarise

from .conftest import edit_and_approve

pytestmark = pytest.mark.django_db

OLD = (
    '<section id="a"><h2>Scope</h2><p>The cat sat on the mat.</p>'
    "<ol><li>First rule<ul><li>detail</li></ul></li><li>Second rule</li></ol></section>"
    '<section id="b"><h2>Review</h2><p>Reviewed every year.</p></section>'
)
NEW = (
    '<section id="b"><h2>Review</h2><p>Reviewed every year.</p></section>'
    '<section id="a"><h2>Scope</h2><p>The dog sat on the mat.</p>'
    "<ol><li>First rule<ul><li>detail</li></ul></li><li>Third rule</li></ol>"
    "<table><tr><th>Level</th><th>Hours</th></tr><tr><td>High</td><td>4</td></tr></table>"
    "</section>"
)


def kinds(rows):
    return [(row.kind, str(row.inline_html)) for row in rows]


def test_redline_marks_changed_words():
    rows = compare_html(OLD, NEW)
    assert ("change", "The <del>cat</del><ins>dog</ins> sat on the mat.") in kinds(rows)
    assert ("change", "<del>Second</del><ins>Third</ins> rule") in kinds(rows)


def test_redline_reports_insertions_and_deletions():
    rows = compare_html("<p>Kept.</p><p>Removed entirely here.</p>", "<p>Kept.</p><p>Brand new text added.</p><p>Another.</p>")
    found = kinds(rows)
    assert ("equal", "Kept.") in found
    assert ("delete", "<del>Removed entirely here.</del>") in found
    assert ("insert", "<ins>Brand new text added.</ins>") in found
    assert ("insert", "<ins>Another.</ins>") in found


def test_redline_detects_moved_section():
    rows = compare_html(OLD, NEW)
    moved = [row for row in rows if row.kind.startswith("moved")]
    assert {row.kind for row in moved} == {"moved-from", "moved-to"}
    assert any("Reviewed every year." in row.inline_html for row in moved)
    assert summarise(rows)["moved_to"] == 2


def test_redline_compares_table_rows():
    rows = compare_html("<table><tr><td>High</td><td>4</td></tr></table>", "<table><tr><td>High</td><td>8</td></tr></table>")
    assert kinds(rows) == [("change", "High | <del>4</del><ins>8</ins>")]


def test_redline_escapes_content():
    rows = compare_html("<p>a &lt;script&gt; b</p>", "<p>a &lt;script&gt; c</p>")
    assert "<script>" not in rows[0].inline_html
    assert "&lt;script&gt;" in rows[0].inline_html


def test_identical_versions_have_no_changes():
    assert {row.kind for row in compare_html(OLD, OLD)} == {"equal"}


def test_compare_page_shows_redline(published_policy, personas, client):
    page, _ = published_policy
    edit_and_approve(page, personas, "minor", "Added a note.", "A brand new closing note.")
    client.force_login(personas["employee"])
    response = client.get(f"/auditor/compare/{page.slug}/?old=1.0&new=1.1&view=side")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<ins>A brand new closing note.</ins>" in body
    assert "Added a note." in body
    assert "Approval trail of version 1.1" in body


def test_compare_rejects_reversed_order(published_policy, personas, client):
    page, _ = published_policy
    edit_and_approve(page, personas, "minor", "Added a note.", "Note.")
    client.force_login(personas["employee"])
    response = client.get(f"/auditor/compare/{page.slug}/?old=1.1&new=1.0")
    assert response.status_code == 400
    assert "Version 1.1 is not older than 1.0" in response.content.decode()


def test_redline_pdf_is_signed_for_auditors(published_policy, personas, client):
    page, _ = published_policy
    edit_and_approve(page, personas, "major", "New duty.", "Staff must lock screens.")
    url = f"/auditor/compare/{page.slug}/?old=1.0&new=2.0&format=pdf"
    client.force_login(personas["employee"])
    assert client.get(url).status_code == 403

    client.force_login(personas["auditor"])
    response = client.get(url)
    assert response.status_code == 200
    assert verify_pdf_bytes(response.content).valid
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Staff must lock screens." in text
    assert "New duty." in text


def test_as_of_reconstructs_history(published_policy, personas):
    page, first = published_policy
    employee, auditor = personas["employee"], personas["auditor"]
    acknowledge(employee, first, first.content_sha256)
    second = edit_and_approve(page, personas, "major", "New duty.", "A new duty.")
    today = timezone.localdate()

    [entry] = policies_in_force(today)
    assert entry.version == second
    assert employee not in [person for person, _ in entry.acknowledged]
    assert employee in entry.outstanding
    assert [a.step for a in entry.approvals] == ["Owner review", "Management approval"]

    acknowledge(auditor, second, second.content_sha256)
    [entry] = policies_in_force(today)
    assert auditor in [person for person, _ in entry.acknowledged]


def test_as_of_before_publication_is_empty(published_policy):
    assert policies_in_force(timezone.localdate() - datetime.timedelta(days=1)) == []


def test_as_of_counts_minor_versions_with_major(published_policy, personas):
    page, first = published_policy
    acknowledge(personas["employee"], first, first.content_sha256)
    edit_and_approve(page, personas, "minor", "Wording.", "More wording.")
    [entry] = policies_in_force(timezone.localdate())
    assert entry.version.label == "1.1"
    assert personas["employee"] in [person for person, _ in entry.acknowledged]


def test_as_of_ignores_later_deactivation(published_policy, personas):
    employee = personas["employee"]
    [before] = policies_in_force(timezone.localdate())
    assert employee in before.outstanding
    employee.is_active = False
    employee.save()
    [after] = policies_in_force(timezone.localdate())
    assert employee not in after.outstanding


def test_as_of_page_permissions_and_pdf(published_policy, personas, client):
    today = timezone.localdate().isoformat()
    client.force_login(personas["employee"])
    assert client.get(f"/auditor/as-of/?date={today}").status_code == 403

    client.force_login(personas["auditor"])
    response = client.get(f"/auditor/as-of/?date={today}")
    assert response.status_code == 200
    assert "Access Control Policy" in response.content.decode()

    response = client.get(f"/auditor/as-of/?date={today}&policy=access-control&format=pdf")
    assert response.status_code == 200
    assert verify_pdf_bytes(response.content).valid


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-13-40", "Enter the date as YYYY-MM-DD"), ("2999-01-01", "is in the future"), ("1990-01-01", "Choose a date from 2000-01-01")],
)
def test_as_of_rejects_bad_dates(personas, client, value, message):
    client.force_login(personas["auditor"])
    response = client.get(f"/auditor/as-of/?date={value}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_acknowledgements_unchanged_by_as_of(published_policy, personas):
    _, version = published_policy
    acknowledge(personas["employee"], version, version.content_sha256)
    policies_in_force(timezone.localdate())
    assert Acknowledgement.objects.count() == 1
