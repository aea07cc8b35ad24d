"""Check an evidence pack offline: manifest signature, every hash, every PDF."""

import hashlib
import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from .manifest import MANIFEST_NAME, SIGNATURE_NAME, verify_detached
from .signing import verify_pdf_bytes

UNLISTED_ALLOWED = {MANIFEST_NAME, SIGNATURE_NAME}


@dataclass
class PackReport:
    checked: int = 0
    problems: list = field(default_factory=list)

    @property
    def valid(self):
        return not self.problems


def verify_pack(path, trusted_pem=None):
    """Return a PackReport listing every problem found in the ZIP at ``path``."""
    report = PackReport()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.problems.append(f"{path}: not a readable ZIP file ({exc}).")
        return report
    with archive:
        all_names = archive.namelist()
        names = set(all_names)
        for twice in sorted(name for name, count in Counter(all_names).items() if count > 1):
            report.problems.append(
                f"{twice}: the pack holds more than one file of this name; tools disagree "
                "on which one they read, so the pack cannot be trusted."
            )
        for required in (MANIFEST_NAME, SIGNATURE_NAME):
            if required not in names:
                report.problems.append(f"{required} is missing from the pack.")
        if report.problems:
            return report
        manifest = archive.read(MANIFEST_NAME)
        problem = verify_detached(manifest, archive.read(SIGNATURE_NAME), trusted_pem)
        if problem:
            report.problems.append(f"{MANIFEST_NAME}: {problem}.")
        try:
            listed = json.loads(manifest)["files"]
        except (ValueError, KeyError, TypeError):
            report.problems.append(f"{MANIFEST_NAME} is not a PolicyHub manifest.")
            return report
        for entry in listed:
            _check_entry(archive, names, entry, report, trusted_pem)
        for extra in sorted(names - {e["name"] for e in listed} - UNLISTED_ALLOWED):
            report.problems.append(f"{extra}: in the pack but not listed in the manifest.")
    return report


def _check_entry(archive, names, entry, report, trusted_pem):
    name = entry["name"]
    if name not in names:
        report.problems.append(f"{name}: listed in the manifest but missing.")
        return
    digest = hashlib.sha256()
    with archive.open(name) as member:
        while chunk := member.read(1024 * 1024):
            digest.update(chunk)
    report.checked += 1
    if digest.hexdigest() != entry["sha256"]:
        report.problems.append(f"{name}: SHA-256 does not match the manifest (file changed).")
        return
    if name.endswith(".pdf"):
        result = verify_pdf_bytes(archive.read(name), trusted_pem)
        if not result.valid:
            report.problems.append(f"{name}: signature invalid ({result.problem}).")
