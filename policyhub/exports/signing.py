"""Sign PDFs (PAdES) with the organisation's certificate and verify them.

The signing key and certificate come from the PKCS#12 file named by
``POLICYHUB_SIGNING_P12``. Verification trusts that certificate, or the PEM
certificates given to ``verify_pdf_bytes``, and treats any exception raised
while reading or validating a file as an invalid signature.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

logger = logging.getLogger(__name__)
SIGNATURE_FIELD = "PolicyHubSignature"


def load_signer():
    """Return a pyHanko signer for the configured PKCS#12 file."""
    path = settings.POLICYHUB_SIGNING_P12
    passphrase = settings.POLICYHUB_SIGNING_PASSPHRASE
    if not path.exists():
        raise ImproperlyConfigured(
            f"Signing certificate {path} does not exist; run "
            "'python manage.py create_signing_certificate' or set POLICYHUB_SIGNING_P12."
        )
    signer = signers.SimpleSigner.load_pkcs12(
        str(path), passphrase=passphrase.encode() if passphrase else None
    )
    if signer is None:
        raise ImproperlyConfigured(
            f"Signing certificate {path} cannot be opened; check "
            "POLICYHUB_SIGNING_PASSPHRASE."
        )
    return signer


def signing_certificate_pem():
    """Return the configured signing certificate as PEM bytes, for verifiers."""
    certificate = load_signer().signing_cert
    return pem.armor("CERTIFICATE", certificate.dump())


def sign_pdf(pdf_bytes, reason, location=""):
    """Return ``pdf_bytes`` with a PAdES signature covering the whole file."""
    signer = load_signer()
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or settings.POLICYHUB_ORGANISATION_NAME,
    )
    output = signers.sign_pdf(writer, metadata, signer=signer)
    return output.getvalue()


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    signer: str = ""
    signed_at: datetime | None = None
    problem: str = ""

    @property
    def summary(self):
        if self.valid:
            when = self.signed_at.isoformat() if self.signed_at else "unknown time"
            return f"VALID: signed by {self.signer} at {when}"
        return f"INVALID: {self.problem}"


def _trust_roots(trusted_pem):
    if trusted_pem is None:
        trusted_pem = signing_certificate_pem()
    roots = []
    for _, _, der in pem.unarmor(trusted_pem, multiple=True):
        roots.append(asn1_x509.Certificate.load(der))
    if not roots:
        raise ValueError("no PEM certificate found in the trusted certificate data")
    return roots


def _der_length(data):
    """Return the length of the DER SEQUENCE at the start of ``data``."""
    if len(data) < 2 or data[0] != 0x30:
        raise ValueError("the signature is not a DER SEQUENCE")
    if data[1] < 0x80:
        return 2 + data[1]
    size = data[1] & 0x7F
    return 2 + size + int.from_bytes(data[2 : 2 + size], "big")


def unsigned_gap_is_canonical(pdf_bytes, signature):
    """Return whether the bytes a signature does not cover hold exactly the
    signature, written as PolicyHub writes it: upper-case hex, zero padding.

    The signature's byte range leaves out the /Contents hex string, so without
    this check a changed padding digit or letter case would go unnoticed.
    """
    start, first_length, second_start, _ = (int(v) for v in signature.sig_object["/ByteRange"])
    gap = pdf_bytes[start + first_length : second_start]
    if len(gap) < 2 or gap[:1] != b"<" or gap[-1:] != b">":
        return False
    digits = gap[1:-1]
    if digits != digits.upper():
        return False
    try:
        decoded = bytes.fromhex(digits.decode("ascii"))
    except ValueError:
        return False
    used = _der_length(decoded)
    return used <= len(decoded) and not any(decoded[used:])


def verify_pdf_bytes(pdf_bytes, trusted_pem=None):
    """Check every signature in ``pdf_bytes``; the result is valid only when
    there is at least one signature, each is intact, valid and trusted, and the
    last one covers the entire file."""
    try:
        roots = _trust_roots(trusted_pem)
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        embedded = reader.embedded_signatures
        if not embedded:
            return VerificationResult(False, problem="the file has no digital signature")
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = None
        for signature in embedded:
            status = validate_pdf_signature(signature, context)
            if not (status.intact and status.valid):
                return VerificationResult(
                    False, problem="the content was changed after signing"
                )
            if not unsigned_gap_is_canonical(pdf_bytes, signature):
                return VerificationResult(
                    False, problem="the signature field was changed after signing"
                )
            if not status.trusted:
                return VerificationResult(
                    False, problem="the signer's certificate is not trusted"
                )
        if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return VerificationResult(
                False, problem="content was added after the last signature"
            )
        subject = status.signing_cert.subject.human_friendly
        return VerificationResult(True, signer=subject, signed_at=status.signer_reported_dt)
    except Exception as exc:  # noqa: BLE001 - any failure to validate is invalid
        logger.info("PDF verification failed: %s", type(exc).__name__)
        return VerificationResult(
            False, problem=f"the file cannot be validated ({type(exc).__name__}: {exc})"
        )
