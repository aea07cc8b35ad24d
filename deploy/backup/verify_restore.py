"""Check a restored PolicyHub database and its files; the restore test.

Run it against the restored copy, with the same settings variables as the
application (DATABASE_URL naming the restored database, MEDIA_ROOT or the
bucket holding the restored files, and the signing certificate):

    python deploy/backup/verify_restore.py [--expect-counts counts.json] [--output report.json]

It checks that every policy version's content SHA-256 recomputes, that the
audit trail's hash chain is intact, and that every signed PDF is present,
unchanged and carries a valid signature. With --expect-counts, it also
compares the row count of every table with the counts that ``--counts-only``
wrote for the source database. It writes a JSON report to --output, or to
standard output, and exits with status 1 when any check fails. Use --output
where the application's logs also go to standard output.
"""

import argparse
import hashlib
import io
import json
import os
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def setup_django():
    sys.path.insert(0, str(REPOSITORY))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policyhub.settings.production")
    import django

    django.setup()


def row_counts():
    """Return the number of rows of every model, history tables included.

    A model whose table does not exist counts as None, so a table that the
    source has and the restored copy lacks shows up as a difference.
    """
    from django.apps import apps
    from django.db import connection

    tables = set(connection.introspection.table_names())
    return {
        model._meta.label: (model._base_manager.count() if model._meta.db_table in tables else None)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def version_hash_problems():
    from policyhub.policies.models import PolicyVersion
    from policyhub.policies.versioning import content_sha256

    return [
        f"policy version {version.pk}: stored {version.content_sha256}, "
        f"recomputed {content_sha256(version)}"
        for version in PolicyVersion.objects.all()
        if content_sha256(version) != version.content_sha256
    ]


def signed_pdf_problems():
    from policyhub.exports.models import SignedPolicyPdf
    from policyhub.exports.signing import verify_pdf_bytes

    problems = []
    for record in SignedPolicyPdf.objects.select_related("version"):
        try:
            with record.file.open("rb") as handle:
                data = handle.read()
        except OSError as exc:
            problems.append(f"signed PDF {record.pk} ({record.file.name}): {exc}")
            continue
        if hashlib.sha256(data).hexdigest() != record.sha256:
            problems.append(f"signed PDF {record.pk}: SHA-256 differs from the record")
        result = verify_pdf_bytes(data)
        if not result.valid:
            problems.append(f"signed PDF {record.pk}: {result.problem}")
    return problems


def audit_trail_problem():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("verify_audit_trail", stdout=io.StringIO())
    except CommandError as exc:
        return str(exc)
    return ""


def build_report(expected_counts=None):
    """Run every check on the database Django is connected to."""
    from policyhub.exports.models import SignedPolicyPdf

    counts = row_counts()
    problems = version_hash_problems() + signed_pdf_problems()
    audit_problem = audit_trail_problem()
    if audit_problem:
        problems.append(audit_problem)
    for label, expected in (expected_counts or {}).items():
        if counts.get(label) != expected:
            problems.append(f"{label}: expected {expected} rows, found {counts.get(label)}")
    return {
        "ok": not problems,
        "problems": problems,
        "signed_pdfs_checked": SignedPolicyPdf.objects.count(),
        "counts": counts,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-counts", type=Path, help="JSON file of row counts")
    parser.add_argument("--counts-only", action="store_true", help="Write only the row counts.")
    parser.add_argument(
        "--output",
        type=Path,
        help="File for the JSON output (default: standard output)",
    )
    arguments = parser.parse_args()
    setup_django()
    if arguments.counts_only:
        write_json(row_counts(), arguments.output)
        return 0
    expected = None
    if arguments.expect_counts:
        expected = json.loads(arguments.expect_counts.read_text(encoding="utf-8"))
    report = build_report(expected)
    write_json(report, arguments.output)
    return 0 if report["ok"] else 1


def write_json(data, path):
    text = json.dumps(data, indent=2, sort_keys=True)
    if path is None:
        print(text)
    else:
        path.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
