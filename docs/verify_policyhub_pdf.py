#!/usr/bin/env python3
"""Verify the digital signatures of a PDF exported from PolicyHub.

This script is for auditors and needs neither PolicyHub nor Django, only
pyHanko (tested with pyHanko 0.38.0 and pyhanko-certvalidator 0.33.0):

    pip install pyHanko pyhanko-certvalidator
    python verify_policyhub_pdf.py FILE.pdf --trust policyhub-signing.pem

The file is VALID only when it has at least one signature, every signature is
intact, cryptographically valid and made with a certificate that chains to a
certificate given with ``--trust``, and the last signature covers the whole
file. Any error while reading or validating counts as INVALID.

Exit status: 0 when VALID, 1 when INVALID, 2 for a command-line usage error.
"""

import argparse
import hashlib
import logging
import sys
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
CERTIFICATE_PEM_TYPES = {"CERTIFICATE", "TRUSTED CERTIFICATE"}


class VerificationFailed(Exception):
    """Raised with the reason a file is not validly signed."""


@dataclass(frozen=True)
class SignatureReport:
    """Details of one validated signature, as printed in the report."""

    field_name: str
    signer: str
    signed_at: str
    reason: str


def load_trust_roots(paths):
    """Return the certificates in the given PEM or DER files."""
    roots = []
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        if pem.detect(data):
            blocks = [
                der
                for block_type, _, der in pem.unarmor(data, multiple=True)
                if block_type in CERTIFICATE_PEM_TYPES
            ]
        else:
            blocks = [data]
        for der in blocks:
            try:
                certificate = asn1_x509.Certificate.load(der)
                # asn1crypto parses lazily, so reading .native parses every
                # field now and a malformed file fails here, named in the error.
                certificate.native  # noqa: B018
            except ValueError as exc:
                raise VerificationFailed(
                    f"{path} is not a PEM or DER X.509 certificate ({one_line(exc)})"
                ) from exc
            roots.append(certificate)
    if not roots:
        raise VerificationFailed(
            f"no certificate found in {', '.join(paths)}. Pass the signing "
            "certificate as a PEM file with --trust"
        )
    return roots


def one_line(exc):
    """Return an exception's message on one line (asn1crypto's span several)."""
    return " ".join(str(exc).split())


def describe_signer(status):
    return status.signing_cert.subject.human_friendly


def describe_signing_time(status):
    """Return the signing time, marked as a timestamp authority's or the signer's claim."""
    timestamp = status.timestamp_validity
    if timestamp is not None and timestamp.trusted:
        return f"{timestamp.timestamp.isoformat()} (from a trusted timestamp authority)"
    if status.signer_reported_dt is None:
        return "unknown"
    return f"{status.signer_reported_dt.isoformat()} (claimed by the signer)"


def check_signature(number, status):
    """Raise VerificationFailed unless signature ``number`` is intact, valid and trusted."""
    if not status.intact:
        raise VerificationFailed(
            f"signature {number}: the signed content was changed after signing"
        )
    if not status.valid:
        raise VerificationFailed(
            f"signature {number}: the cryptographic signature is not valid"
        )
    if not status.trusted:
        raise VerificationFailed(
            f"signature {number}: the signer's certificate "
            f"({describe_signer(status)}) does not chain to a trusted certificate, "
            "or is expired or revoked"
        )
    # bottom_line adds pyHanko's remaining checks: the document modification
    # policy, seed value constraints and any embedded timestamp.
    if not status.bottom_line:
        raise VerificationFailed(
            f"signature {number}: pyHanko rejects it ({status.summary()})"
        )


def verify_pdf(pdf_bytes, trust_roots):
    """Validate every signature in ``pdf_bytes`` and return a SignatureReport for each.

    Raises VerificationFailed, or any exception pyHanko raises, when the file
    is not validly signed.
    """
    # strict=True makes pyHanko raise instead of validating a signature in a
    # hybrid-reference file, whose two cross-reference tables can show
    # different readers different content.
    reader = PdfFileReader(BytesIO(pdf_bytes), strict=True)
    embedded = reader.embedded_signatures
    if not embedded:
        raise VerificationFailed("the file has no digital signature")

    # No fetching of CRLs, OCSP responses or issuer certificates: the result
    # depends only on the file, the --trust certificates and the current time.
    # NOTE: revocation is therefore checked only against revocation data
    # embedded in the file, which PolicyHub does not embed.
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    reports = []
    status = None
    for number, signature in enumerate(embedded, start=1):
        status = validate_pdf_signature(signature, context)
        check_signature(number, status)
        reason = signature.sig_object.get("/Reason")
        reports.append(
            SignatureReport(
                field_name=signature.field_name or "(unnamed)",
                signer=describe_signer(status),
                signed_at=describe_signing_time(status),
                reason=str(reason) if reason is not None else "",
            )
        )

        check_signature_field(pdf_bytes, signature, number)

    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise VerificationFailed(
            f"content was added after the last signature (signature {len(embedded)})"
        )
    return reports


def check_signature_field(pdf_bytes, signature, number):
    """Raise VerificationFailed unless the bytes the signature leaves out hold
    exactly the signature as PolicyHub writes it: upper-case hex, zero padding.

    The byte range excludes the /Contents hex string itself, so this closes the
    last gap: after it, changing any byte of the file is detected.
    """
    start, first_length, second_start, _ = (int(v) for v in signature.sig_object["/ByteRange"])
    digits = pdf_bytes[start + first_length + 1 : second_start - 1]
    problem = f"signature {number}: the signature field was changed after signing"
    if digits != digits.upper():
        raise VerificationFailed(problem)
    decoded = bytes.fromhex(digits.decode("ascii"))
    if len(decoded) < 2 or decoded[0] != 0x30:
        raise VerificationFailed(problem)
    if decoded[1] < 0x80:
        used = 2 + decoded[1]
    else:
        size = decoded[1] & 0x7F
        used = 2 + size + int.from_bytes(decoded[2 : 2 + size], "big")
    if used > len(decoded) or any(decoded[used:]):
        raise VerificationFailed(problem)


def print_reports(reports):
    for number, report in enumerate(reports, start=1):
        print(f"Signature {number} of {len(reports)}, field {report.field_name}:")
        print(f"  signer:       {report.signer}")
        print(f"  signing time: {report.signed_at}")
        if report.reason:
            print(f"  reason:       {report.reason}")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        description="Verify the digital signatures of a PDF exported from PolicyHub. "
        "Prints VALID or INVALID; the exit status is 0 only when VALID.",
    )
    parser.add_argument("pdf", metavar="FILE.pdf", help="The signed PDF to verify.")
    parser.add_argument(
        "--trust",
        metavar="CERT.pem",
        action="append",
        required=True,
        help="Certificate file (PEM or DER) to trust: the PolicyHub signing "
        "certificate or the CA that issued it. Repeat to trust several.",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="Show pyHanko's warnings, such as the reason a certificate path failed.",
    )
    return parser.parse_args(argv)


def main(argv=None):
    arguments = parse_arguments(argv)
    # pyHanko logs failed path-building attempts with tracebacks at WARNING,
    # even when another path then succeeds, so they are shown only on request.
    logging.basicConfig(
        level=logging.WARNING if arguments.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        trust_roots = load_trust_roots(arguments.trust)
    except (OSError, VerificationFailed) as exc:
        print(f"error: --trust: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        with open(arguments.pdf, "rb") as handle:
            pdf_bytes = handle.read()
        print(f"File:    {arguments.pdf}")
        print(f"SHA-256: {hashlib.sha256(pdf_bytes).hexdigest()}")
        reports = verify_pdf(pdf_bytes, trust_roots)
    except VerificationFailed as exc:
        print(f"INVALID: {arguments.pdf}: {exc}")
        return EXIT_INVALID
    except Exception as exc:  # noqa: BLE001 - any failure to validate means invalid
        print(
            f"INVALID: {arguments.pdf}: the file cannot be validated "
            f"({type(exc).__name__}: {one_line(exc)})"
        )
        return EXIT_INVALID

    print_reports(reports)
    last = reports[-1]
    print(f"VALID: {arguments.pdf}: signed by {last.signer} at {last.signed_at}")
    return EXIT_VALID


if __name__ == "__main__":
    sys.exit(main())
