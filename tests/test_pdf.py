"""Signed PDF: content, footer on every page, PAdES signature, verification."""

import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from policyhub.exports.models import SignedPolicyPdf
from policyhub.exports.services import signed_pdf_for
from policyhub.exports.signing import verify_pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(published_policy):
    page, version = published_policy
    record = signed_pdf_for(version, actor="test")
    with record.file.open("rb") as handle:
        return version, handle.read()


def flip_byte(data, position):
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def test_pdf_contains_cover_and_trail(signed, personas):
    version, data = signed
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Access Control Policy" in text
    assert version.content_sha256 in text.replace("\n", "")
    assert "Approval trail" in text
    assert "Owner review" in text
    assert str(personas["owner"]) in text
    assert str(personas["approver"]) in text
    assert "Version history" in text
    assert "AC-1" in text


def test_footer_on_every_page(signed):
    version, data = signed
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert f"Page {number} of {len(pages)}" in text, number
        assert f"Version {version.label}" in text, number


def test_signature_is_valid(signed, settings):
    _, data = signed
    result = verify_pdf_bytes(data)
    assert result.valid, result.problem
    assert settings.POLICYHUB_ORGANISATION_NAME in result.signer
    assert result.signed_at is not None


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9, -40])
def test_one_changed_byte_is_invalid(signed, where):
    _, data = signed
    position = int(len(data) * where) if where > 0 else len(data) + where
    result = verify_pdf_bytes(flip_byte(data, position))
    assert not result.valid
    assert result.problem


def test_appended_content_is_invalid(signed):
    _, data = signed
    result = verify_pdf_bytes(data + b"\n% appended after signing\n")
    assert not result.valid


def test_unsigned_pdf_is_invalid(published_policy):
    from policyhub.exports.pdf import render_version_pdf

    _, version = published_policy
    result = verify_pdf_bytes(render_version_pdf(version))
    assert not result.valid
    assert "no digital signature" in result.problem


def test_garbage_is_invalid():
    assert not verify_pdf_bytes(b"%PDF-1.7 not really a pdf").valid
    assert not verify_pdf_bytes(b"").valid


def test_signed_pdf_is_made_once(published_policy):
    _, version = published_policy
    first = signed_pdf_for(version)
    second = signed_pdf_for(version)
    assert first.pk == second.pk
    assert SignedPolicyPdf.objects.count() == 1


def test_export_and_verify_commands(published_policy, tmp_path):
    target = tmp_path / "access-control.pdf"
    out = StringIO()
    call_command("export_policy", "access-control", "--output", str(target), stdout=out)
    assert "Wrote" in out.getvalue()

    out = StringIO()
    call_command("verify_pdf", str(target), stdout=out)
    assert "VALID: signed by" in out.getvalue()

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(flip_byte(target.read_bytes(), target.stat().st_size // 2))
    with pytest.raises(CommandError) as caught:
        call_command("verify_pdf", str(broken))
    assert "INVALID" in str(caught.value)


def test_export_unknown_slug_lists_known(published_policy, tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("export_policy", "nope", "--output", str(tmp_path / "x.pdf"))
    assert "No policy has the slug 'nope'" in str(caught.value)
    assert "access-control" in str(caught.value)


def test_verify_missing_file_is_clear(tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("verify_pdf", str(tmp_path / "absent.pdf"))
    assert "Cannot read" in str(caught.value)


def test_verify_page_reports_valid_and_invalid(signed, personas, client):
    _, data = signed
    client.force_login(personas["employee"])
    response = client.post(
        "/exports/verify/", {"pdf": SimpleUploadedFile("p.pdf", data, "application/pdf")}
    )
    assert response.status_code == 200
    assert "Valid signature" in response.content.decode()

    response = client.post(
        "/exports/verify/",
        {"pdf": SimpleUploadedFile("p.pdf", flip_byte(data, len(data) // 2))},
    )
    assert "Invalid signature" in response.content.decode()


def test_verify_page_rejects_non_pdf(personas, client):
    client.force_login(personas["employee"])
    response = client.post(
        "/exports/verify/", {"pdf": SimpleUploadedFile("notes.txt", b"hello")}
    )
    assert response.status_code == 400
    assert "notes.txt is not a PDF file" in response.content.decode()


def test_verify_page_rejects_oversized(personas, client, settings):
    settings.POLICYHUB_VERIFY_MAX_BYTES = 100
    client.force_login(personas["employee"])
    response = client.post(
        "/exports/verify/", {"pdf": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 200)}
    )
    assert response.status_code == 400
    assert "the limit is 100 bytes" in response.content.decode()
