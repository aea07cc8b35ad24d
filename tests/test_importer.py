"""load_policies: idempotent drafts, one transaction, clear errors, sanitised HTML."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Revision

from policyhub.policies.importer import ImportFailed
from policyhub.policies.loader import import_policies
from policyhub.policies.markdown import render_markdown
from policyhub.policies.models import PolicyPage

from .conftest import SEED_DIR, SHARED_INPUTS

pytestmark = pytest.mark.django_db

VALID_FRONT_MATTER = """---
title: Test Policy
slug: test-policy
summary: A policy used by the tests.
owner_role: Chief Information Security Officer
approver_group: Approvers
review_interval_months: 12
classification: Internal
iso27001_controls:
  - "5.1 Policies for information security"
---
"""
VALID_BODY = """## Purpose
{{ organisation }} must keep this policy.

## Policy statements
1. **TP-1** Staff must read it.
"""


def write(directory, name, text):
    path = Path(directory) / name
    path.write_text(text, encoding="utf-8")
    return path


def run_load(source):
    out = StringIO()
    call_command("load_policies", str(source), stdout=out)
    return out.getvalue()


def test_seed_imports_nine_draft_policies():
    output = run_load(SEED_DIR)
    assert "\n9 created" in output
    assert "Procedures: 10 created" in output
    assert PolicyPage.objects.exact_type(PolicyPage).count() == 9
    assert not PolicyPage.objects.filter(live=True).exists()


def test_seed_fills_organisation_placeholder(settings):
    settings.POLICYHUB_ORGANISATION_NAME = "Harbour Savings Bank"
    import_policies(SEED_DIR)
    page = PolicyPage.objects.get(slug="access-control").get_latest_revision_as_object()
    text = " ".join(html for _, _, html in page.sections())
    assert "Harbour Savings Bank" in text
    assert "{{" not in text


def test_reimport_unchanged_changes_nothing():
    run_load(SEED_DIR)
    revisions_before = Revision.objects.count()
    output = run_load(SEED_DIR)
    assert "0 created, 0 updated, 9 unchanged" in output
    assert Revision.objects.count() == revisions_before


def test_changed_file_becomes_draft_revision(seed_copy, personas):
    from .conftest import approve

    import_policies(seed_copy)
    page = PolicyPage.objects.get(slug="cryptography")
    approve(page, personas)
    live_revision = PolicyPage.objects.get(pk=page.pk).live_revision_id

    path = seed_copy / "cryptography.md"
    path.write_text(path.read_text() + "\nA new closing sentence.\n", encoding="utf-8")
    report = import_policies(seed_copy)

    page.refresh_from_db()
    assert report.updated == ["cryptography"]
    assert page.live_revision_id == live_revision
    assert page.has_unpublished_changes
    assert page.versions.count() == 1


BAD_INPUTS = [
    (
        "missing-field",
        VALID_FRONT_MATTER.replace("owner_role: Chief Information Security Officer\n", "")
        + VALID_BODY,
        "missing front matter field 'owner_role'",
    ),
    (
        "bad-yaml",
        VALID_FRONT_MATTER.replace("classification: Internal", "classification: [Internal")
        + VALID_BODY,
        "invalid YAML",
    ),
    (
        "unknown-group",
        VALID_FRONT_MATTER.replace("approver_group: Approvers", "approver_group: Board")
        + VALID_BODY,
        "unknown group 'Board'",
    ),
    (
        "bad-interval",
        VALID_FRONT_MATTER.replace("review_interval_months: 12", "review_interval_months: yearly")
        + VALID_BODY,
        "field 'review_interval_months' must be a whole number, got 'yearly'",
    ),
    (
        "out-of-range-interval",
        VALID_FRONT_MATTER.replace("review_interval_months: 12", "review_interval_months: 0")
        + VALID_BODY,
        "use a value from 1 to 60",
    ),
    (
        "bad-classification",
        VALID_FRONT_MATTER.replace("classification: Internal", "classification: Secret")
        + VALID_BODY,
        "field 'classification' is 'Secret'",
    ),
    (
        "bad-slug",
        VALID_FRONT_MATTER.replace("slug: test-policy", "slug: Test Policy") + VALID_BODY,
        "field 'slug' is 'Test Policy'",
    ),
    (
        "unknown-field",
        VALID_FRONT_MATTER.replace("---\ntitle", "---\nowner: someone\ntitle") + VALID_BODY,
        "unknown front matter field 'owner'",
    ),
    (
        "no-opening-fence",
        VALID_FRONT_MATTER[4:] + VALID_BODY,
        "front matter must open with a '---' line",
    ),
    (
        "unclosed",
        VALID_FRONT_MATTER[:-4] + VALID_BODY.replace("---", ""),
        "never closed",
    ),
    (
        "unknown-placeholder",
        VALID_FRONT_MATTER + VALID_BODY + "\nContact {{ ciso_email }}.\n",
        "unknown placeholder '{{ ciso_email }}'",
    ),
    (
        "grid-table",
        VALID_FRONT_MATTER + VALID_BODY + "\n+-----+-----+\n| a   | b   |\n+=====+=====+\n",
        "pandoc grid tables are not supported",
    ),
    (
        "preamble",
        VALID_FRONT_MATTER + "# Test Policy\n\n" + VALID_BODY,
        "text before the first '## ' section heading",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "message"), BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_names_file_and_imports_nothing(tmp_path, name, text, message):
    write(tmp_path, "good.md", VALID_FRONT_MATTER.replace("test-policy", "good") + VALID_BODY)
    bad = write(tmp_path, f"{name}.md", text)

    with pytest.raises(CommandError) as caught:
        run_load(tmp_path)

    error = str(caught.value)
    assert "Nothing was imported" in error
    assert str(bad) in error
    assert message in error
    assert PolicyPage.objects.count() == 0


def test_unreadable_file_is_reported(tmp_path):
    os.symlink(tmp_path / "missing-target.md", tmp_path / "dangling.md")
    with pytest.raises(ImportFailed) as caught:
        import_policies(tmp_path)
    assert "dangling.md: cannot be read" in caught.value.errors[0]


def test_non_utf8_file_is_reported(tmp_path):
    (tmp_path / "latin1.md").write_bytes(
        (VALID_FRONT_MATTER + VALID_BODY).encode() + "Caf\xe9".encode("latin-1")
    )
    with pytest.raises(ImportFailed) as caught:
        import_policies(tmp_path)
    assert "not UTF-8 text" in caught.value.errors[0]


def test_duplicate_slug_is_reported(tmp_path):
    write(tmp_path, "a.md", VALID_FRONT_MATTER + VALID_BODY)
    write(tmp_path, "b.md", VALID_FRONT_MATTER + VALID_BODY)
    with pytest.raises(ImportFailed) as caught:
        import_policies(tmp_path)
    assert "slug 'test-policy' is already used" in caught.value.errors[0]


def test_missing_source_is_reported(tmp_path):
    with pytest.raises(CommandError) as caught:
        run_load(tmp_path / "nowhere")
    assert "nowhere: no such file or directory" in str(caught.value)


def test_markdown_is_sanitised():
    html = render_markdown(
        "## Heading\n\n<script>alert(1)</script>\n\n"
        '<p onclick="steal()">text</p>\n\n[link](javascript:alert(1))\n'
    )
    assert "<script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html


def test_markdown_keeps_structure():
    html = render_markdown(
        "### Sub\n\n1. **AC-1** First\n    - nested item\n2. **AC-2** Second\n\n"
        "| Level | Time |\n|---|---|\n| High | 1 h |\n\n"
        "[Cryptography Policy](cryptography.md) and [site](https://example.org)\n"
        "\\pagebreak\n"
    )
    assert '<h3 id="sub">Sub</h3>' in html
    assert "<ol>" in html
    assert "<ul>\n<li>nested item</li>" in html
    assert "<td>High</td>" in html
    assert 'href="../cryptography/"' in html
    assert 'href="https://example.org"' in html
    assert "pagebreak" not in html


COMPLY_POLICIES = SHARED_INPUTS / "comply-soc2" / "themes" / "comply-soc2"


@pytest.mark.skipif(
    not COMPLY_POLICIES.exists(),
    reason="the third-party comply-soc2 policy set is not beside this checkout",
)
@pytest.mark.parametrize("folder", ["policies", "procedures", "narratives", "standards"])
def test_third_party_policy_set_is_rejected_clearly(folder):
    directory = COMPLY_POLICIES / folder
    files = [p for p in sorted(directory.glob("*.md")) if p.name.lower() != "readme.md"]
    if not files:
        pytest.skip(f"{directory} holds only a README")
    for path in files:
        try:
            report = import_policies(path)
        except ImportFailed as exc:
            assert exc.errors, path
            assert all(str(path) in error for error in exc.errors)
            continue
        # A file that imports must keep every section heading it had.
        headings = [
            line for line in path.read_text().splitlines() if line.startswith("## ")
        ]
        page = PolicyPage.objects.get(slug=(report.created + report.updated)[0])
        assert len(list(page.get_latest_revision_as_object().body)) == len(headings)


@pytest.mark.skipif(
    not COMPLY_POLICIES.exists(),
    reason="the third-party comply-soc2 policy set is not beside this checkout",
)
def test_third_party_front_matter_without_fence_is_named():
    path = COMPLY_POLICIES / "policies" / "access.md"
    with pytest.raises(ImportFailed) as caught:
        import_policies(path)
    assert "front matter must open with a '---' line on line 1" in caught.value.errors[0]
    assert "Add '---' as the first line" in caught.value.errors[0]


@pytest.mark.skipif(
    not COMPLY_POLICIES.exists(),
    reason="the third-party comply-soc2 policy set is not beside this checkout",
)
def test_third_party_bodies_render_safely():
    for path in sorted(COMPLY_POLICIES.rglob("*.md")):
        html = render_markdown(path.read_text(encoding="utf-8"))
        assert "\\pagebreak" not in html, path
        assert "<script" not in html, path
