"""Importing Markdown and Word documents as policy drafts in the admin."""

import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from docx.shared import Inches

from policyhub.policies.document_import import DocumentRejected, convert_upload
from policyhub.policies.markdown import render_markdown
from policyhub.policies.models import PolicyPage

pytestmark = pytest.mark.django_db

# A 1x1 PNG, written byte by byte so the test needs no image library.
PNG = (
    b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    + b"\x90wS\xde" + struct.pack(">I", 12) + b"IDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00"
    + b"\xc9\xfe\x92\xef" + struct.pack(">I", 0) + b"IEND\xaeB`\x82"
)


def make_docx(tmp_path, with_image=True):
    document = Document()
    document.add_heading("Remote Working Policy", level=1)
    document.add_paragraph("Staff must protect information at home.")
    document.add_heading("Purpose", level=1)
    document.add_paragraph("This policy sets the rules for remote work.")
    document.add_heading("Policy statements", level=1)
    document.add_paragraph("Laptops must be encrypted.", style="List Number")
    document.add_paragraph("Full-disk encryption with AES-256.", style="List Bullet 2")
    document.add_paragraph("Screens must lock after 5 minutes.", style="List Number")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Level"
    table.cell(0, 1).text = "Hours"
    table.cell(1, 0).text = "High"
    table.cell(1, 1).text = "4"
    if with_image:
        image = tmp_path / "dot.png"
        image.write_bytes(PNG)
        document.add_picture(str(image), width=Inches(0.2))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def html_of(conversion):
    return "\n".join(render_markdown(section["content"]) for section in conversion.sections)


def test_docx_keeps_headings_lists_tables(tmp_path):
    conversion = convert_upload("remote.docx", make_docx(tmp_path))
    headings = [section["heading"] for section in conversion.sections]
    assert headings == ["Remote Working Policy", "Purpose", "Policy statements"]
    html = html_of(conversion)
    assert "<ol>" in html
    assert "Laptops must be encrypted." in html
    assert "<td>High</td>" in html or "<th>High</th>" in html
    assert 'src="/media/policy-images/' in html


def test_markdown_upload_strips_front_matter():
    text = "---\ntitle: X\n---\n## Scope\nAll staff.\n\n## Rules\n1. Must lock.\n"
    conversion = convert_upload("p.md", text.encode())
    assert [s["heading"] for s in conversion.sections] == ["Scope", "Rules"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.docx", b"", "is empty"),
        ("notes.txt", b"hello", "is not a Markdown (.md) or Word (.docx) document"),
        ("fake.docx", b"hello world", "is not a Word document"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "is encrypted or is a legacy .doc"),
        ("macro.docm", b"PK\x03\x04", "macro-enabled"),
        ("bad.md", b"\xff\xfe\x00", "not UTF-8 text"),
    ],
)
def test_bad_files_rejected(name, data, message):
    with pytest.raises(DocumentRejected) as caught:
        convert_upload(name, data)
    assert message in str(caught.value)
    assert name in str(caught.value)


def test_docx_with_macros_rejected(tmp_path):
    data = make_docx(tmp_path, with_image=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("word/vbaProject.bin", b"macro")
    with pytest.raises(DocumentRejected) as caught:
        convert_upload("policy.docx", buffer.getvalue())
    assert "contains macros" in str(caught.value)


def test_oversized_rejected(settings):
    settings.POLICYHUB_IMPORT_MAX_BYTES = 10
    with pytest.raises(DocumentRejected) as caught:
        convert_upload("big.md", b"## A\n" + b"x" * 20)
    assert "the limit is 10 bytes" in str(caught.value)


def test_external_images_are_dropped():
    html = render_markdown('![x](https://tracker.example/p.png) <img src="/media/../etc/passwd">')
    assert "tracker.example" not in html
    assert "passwd" not in html


def test_admin_import_creates_draft(personas, client, tmp_path):
    client.force_login(personas["owner"])
    from django.contrib.auth.models import Group

    response = client.post(
        "/admin/import-document/",
        {
            "document": SimpleUploadedFile("remote.docx", make_docx(tmp_path, with_image=False)),
            "change_summary": "First draft from Word.",
            "title": "Remote Working Policy",
            "slug": "remote-working",
            "summary": "Rules for working away from the office.",
            "owner_role": "CISO",
            "approver_group": Group.objects.get(name="Approvers").pk,
            "classification": "Internal",
            "review_interval_months": 12,
        },
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    page = PolicyPage.objects.get(slug="remote-working")
    assert not page.live
    draft = page.get_latest_revision_as_object()
    assert [block.value["heading"] for block in draft.body][1] == "Purpose"
    assert "Imported 3 section(s)" in response.content.decode()


def test_admin_import_bad_file_creates_nothing(personas, client):
    client.force_login(personas["owner"])
    response = client.post(
        "/admin/import-document/",
        {"document": SimpleUploadedFile("x.docx", b"not a zip"), "change_summary": "x",
         "title": "T", "slug": "t", "summary": "s", "owner_role": "r", "approver_group": ""},
    )
    assert response.status_code == 400
    assert not PolicyPage.objects.filter(slug="t").exists()


def test_employee_cannot_import(personas, client):
    client.force_login(personas["employee"])
    response = client.get("/admin/import-document/")
    assert response.status_code in (302, 403)


def test_approver_without_add_rights_cannot_import(personas, client):
    client.force_login(personas["approver"])
    response = client.get("/admin/import-document/")
    # Wagtail turns a permission error in the admin into a redirect home.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
