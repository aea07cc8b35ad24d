"""The auditors' standalone verifier (docs/verify_policyhub_pdf.py) run on
real signed PDFs from the product, in a subprocess that cannot import Django
or PolicyHub."""

import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader

from policyhub.exports.certificates import create_self_signed_p12
from policyhub.exports.pdf import render_version_pdf
from policyhub.exports.services import signed_pdf_for
from policyhub.exports.signing import signing_certificate_pem

pytestmark = pytest.mark.django_db

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "verify_policyhub_pdf.py"

# Runs the script as __main__ with django and policyhub made unimportable, so
# a test fails if the script ever depends on them.
LAUNCHER = """
import runpy, sys
sys.modules["django"] = None
sys.modules["policyhub"] = None
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_verifier(tmp_path, *arguments):
    return subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(SCRIPT), *map(str, arguments)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def signed_pdf(published_policy, tmp_path):
    """The product's signed PDF of version 1.0, written to a file."""
    _, version = published_policy
    record = signed_pdf_for(version, actor="test:standalone-verifier")
    with record.file.open("rb") as source:
        data = source.read()
    path = tmp_path / "access-control-v1.0-signed.pdf"
    path.write_bytes(data)
    return path


@pytest.fixture
def trusted_pem(tmp_path):
    path = tmp_path / "policyhub-signing.pem"
    path.write_bytes(signing_certificate_pem())
    return path


def last_line(output):
    return output.strip().splitlines()[-1]


def test_original_pdf_is_valid(signed_pdf, trusted_pem, published_policy, tmp_path):
    _, version = published_policy

    result = run_verifier(tmp_path, signed_pdf, "--trust", trusted_pem)

    assert result.returncode == 0, result.stdout + result.stderr
    assert last_line(result.stdout).startswith("VALID: ")
    assert "INVALID" not in result.stdout
    assert "Example Bank plc policy signing" in result.stdout
    assert f"content SHA-256 {version.content_sha256}" in result.stdout


def test_changed_byte_is_invalid(signed_pdf, trusted_pem, tmp_path):
    data = bytearray(signed_pdf.read_bytes())
    middle = len(data) // 2
    # The byte must lie in the signed ranges, not in the gap that contains the
    # signature value itself.
    signature = PdfFileReader(BytesIO(bytes(data)), strict=False).embedded_signatures[0]
    start1, length1, start2, _ = signature.byte_range
    assert not start1 + length1 <= middle < start2
    data[middle] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(data)

    result = run_verifier(tmp_path, changed, "--trust", trusted_pem)

    assert result.returncode != 0
    assert last_line(result.stdout).startswith("INVALID: ")


def test_other_certificate_is_invalid(signed_pdf, tmp_path):
    other_p12 = tmp_path / "other.p12"
    create_self_signed_p12(other_p12, "other-passphrase", "Other Bank plc")
    _, certificate, _ = pkcs12.load_key_and_certificates(
        other_p12.read_bytes(), b"other-passphrase"
    )
    other_pem = tmp_path / "other.pem"
    other_pem.write_bytes(certificate.public_bytes(Encoding.PEM))

    result = run_verifier(tmp_path, signed_pdf, "--trust", other_pem)

    assert result.returncode != 0
    assert last_line(result.stdout).startswith("INVALID: ")
    assert "does not chain to a trusted certificate" in result.stdout


def test_content_appended_is_invalid(signed_pdf, trusted_pem, tmp_path):
    extended = tmp_path / "extended.pdf"
    extended.write_bytes(signed_pdf.read_bytes() + b"\n% appended after signing\n")

    result = run_verifier(tmp_path, extended, "--trust", trusted_pem)

    assert result.returncode != 0
    assert "content was added after the last signature" in result.stdout


def test_unsigned_pdf_is_invalid(published_policy, trusted_pem, tmp_path):
    _, version = published_policy
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(render_version_pdf(version))

    result = run_verifier(tmp_path, unsigned, "--trust", trusted_pem)

    assert result.returncode != 0
    assert "the file has no digital signature" in result.stdout


def test_non_certificate_trust_file_is_usage_error(signed_pdf, tmp_path):
    not_a_certificate = tmp_path / "notes.txt"
    not_a_certificate.write_text("not a certificate\n")

    result = run_verifier(tmp_path, signed_pdf, "--trust", not_a_certificate)

    # A bad --trust file is the caller's mistake, not a verdict on the PDF.
    assert result.returncode == 2
    assert "is not a PEM or DER X.509 certificate" in result.stderr
    assert "INVALID" not in result.stdout


def test_missing_trust_option_is_usage_error(signed_pdf, tmp_path):
    result = run_verifier(tmp_path, signed_pdf)

    assert result.returncode == 2
    assert "--trust" in result.stderr
