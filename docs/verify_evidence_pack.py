#!/usr/bin/env python3
"""Verify a PolicyHub evidence pack offline, with only pyHanko installed.

    pip install pyHanko pyhanko-certvalidator
    python verify_evidence_pack.py PACK.zip --trust policyhub-signing.pem

Keep this file next to verify_policyhub_pdf.py, whose PDF checks it reuses.
The pack is VALID only when manifest.json carries a valid, trusted detached
CMS signature (manifest.json.p7s), every file the manifest lists is present
with the SHA-256 it states, no unlisted file was added, and every PDF in the
pack is validly signed. Every problem found is listed.

Exit status: 0 when VALID, 1 when INVALID, 2 for a command-line usage error.
"""

import argparse
import asyncio
import hashlib
import json
import logging
import sys
import zipfile
from collections import Counter
from pathlib import Path

from asn1crypto import cms
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_policyhub_pdf import VerificationFailed, load_trust_roots, verify_pdf  # noqa: E402

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
UNLISTED_ALLOWED = {MANIFEST, SIGNATURE}


def check_manifest_signature(manifest, signature_der, trust_roots):
    """Return a problem sentence, or None when the manifest signature is good."""
    try:
        signed_data = cms.ContentInfo.load(signature_der)["content"]
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
        status = asyncio.run(
            async_validate_detached_cms(manifest, signed_data, signer_validation_context=context)
        )
    except Exception as exc:  # noqa: BLE001 - any failure to validate is invalid
        return f"{SIGNATURE} cannot be validated ({type(exc).__name__}: {exc})"
    if not (status.intact and status.valid):
        return f"{MANIFEST} was changed after signing"
    if not status.trusted:
        return f"{MANIFEST} was not signed with a trusted certificate"
    return None


def check_pack(path, trust_roots):
    """Return the list of problems found in the pack at ``path``."""
    problems = []
    with zipfile.ZipFile(path) as archive:
        all_names = archive.namelist()
        names = set(all_names)
        for twice in sorted(name for name, count in Counter(all_names).items() if count > 1):
            problems.append(f"{twice}: the pack holds more than one file of this name")
        missing = [name for name in (MANIFEST, SIGNATURE) if name not in names]
        if missing:
            return [f"{name} is missing from the pack" for name in missing]
        manifest = archive.read(MANIFEST)
        problem = check_manifest_signature(manifest, archive.read(SIGNATURE), trust_roots)
        if problem:
            problems.append(problem)
        listed = json.loads(manifest)["files"]
        for entry in listed:
            name = entry["name"]
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing")
                continue
            data = archive.read(name)
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                problems.append(f"{name}: SHA-256 does not match the manifest")
            elif name.endswith(".pdf"):
                try:
                    verify_pdf(data, trust_roots)
                except Exception as exc:  # noqa: BLE001 - any failure is invalid
                    problems.append(f"{name}: signature invalid ({exc})")
        listed_names = {entry["name"] for entry in listed}
        for extra in sorted(names - listed_names - UNLISTED_ALLOWED):
            problems.append(f"{extra}: in the pack but not listed in the manifest")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verify a PolicyHub evidence pack offline.")
    parser.add_argument("pack", metavar="PACK.zip")
    parser.add_argument(
        "--trust",
        metavar="CERT.pem",
        action="append",
        required=True,
        help="Certificate (PEM or DER) to trust; repeat for several.",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    try:
        trust_roots = load_trust_roots(arguments.trust)
        problems = check_pack(arguments.pack, trust_roots)
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, VerificationFailed) as exc:
        problems = [f"{arguments.pack} cannot be checked ({exc})"]
    if problems:
        print(f"INVALID: {arguments.pack}")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"VALID: {arguments.pack}: every file matches the signed manifest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
