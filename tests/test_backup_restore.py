"""Backup and restore: the operator's procedure from docs/operations.md, run
end to end on PostgreSQL.

A source database is migrated and seeded in subprocesses (the demo library
approved, acknowledgements, audit events and signed PDFs), backed up with
deploy/backup/backup.sh, restored into a fresh database with restore.sh, and
checked with verify_restore.py. The databases are this test's own, so the
test needs no pytest-django database.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
BACKUP_DIR = REPO / "deploy" / "backup"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SERVER = urlsplit(DATABASE_URL)
# Named after the configured database, so parallel runs with different
# DATABASE_URLs never share them.
SOURCE = f"{SERVER.path.lstrip('/')}_backup_source"
RESTORED = f"{SERVER.path.lstrip('/')}_backup_restored"
ACKNOWLEDGEMENTS = 12
POPULATE = """
from policyhub.attestations.services import acknowledge
from policyhub.exports.services import signed_pdf_for
from policyhub.policies.models import PolicyVersion
from policyhub.portal.demo import DEMO_ACCOUNTS, demo_user

versions = list(PolicyVersion.objects.select_related("policy").order_by("pk"))
for version in versions:
    signed_pdf_for(version, actor="backup-test")
for account in DEMO_ACCOUNTS[:3]:
    user = demo_user(account.email)
    for version in versions[:4]:
        acknowledge(user, version, version.content_sha256)
"""

pytestmark = [
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="backup and restore use pg_dump; set DATABASE_URL to PostgreSQL",
    ),
    pytest.mark.skipif(
        shutil.which("pg_dump") is None or shutil.which("createdb") is None,
        reason="pg_dump, pg_restore and createdb are missing; install postgresql-client",
    ),
]


def libpq_environment(database_name):
    """Return an environment that points the PostgreSQL tools at ``database_name``."""
    return dict(
        os.environ,
        PGHOST=SERVER.hostname or "127.0.0.1",
        PGPORT=str(SERVER.port or 5432),
        PGUSER=SERVER.username or "postgres",
        PGPASSWORD=SERVER.password or "",
        PGDATABASE=database_name,
    )


def application_environment(database_name, media_root, var_dir):
    """Return the settings variables of a PolicyHub process on ``database_name``."""
    environment = dict(os.environ)
    environment.pop("REDIS_URL", None)
    environment.update(
        DJANGO_SETTINGS_MODULE="policyhub.settings.dev",
        DATABASE_URL=SERVER._replace(path=f"/{database_name}").geturl(),
        CELERY_TASK_ALWAYS_EAGER="true",
        POLICYHUB_VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(media_root),
        POLICYHUB_SIGNING_P12=str(var_dir / "signing.p12"),
        POLICYHUB_SIGNING_PASSPHRASE="backup-test-passphrase",
    )
    return environment


def run(command, environment, **options):
    return subprocess.run(
        command,
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        **options,
    )


def drop_database(name):
    run(["dropdb", "--if-exists", "--force", name], libpq_environment("postgres"))


def backup(destination, media_root=None):
    environment = libpq_environment(SOURCE)
    if media_root:
        environment["MEDIA_ROOT"] = str(media_root)
    result = run([str(BACKUP_DIR / "backup.sh"), str(destination)], environment)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Migrate and seed the source database once; yield its settings variables."""
    base = tmp_path_factory.mktemp("backup-source")
    drop_database(SOURCE)
    created = run(["createdb", SOURCE], libpq_environment("postgres"))
    assert created.returncode == 0, created.stderr
    environment = application_environment(SOURCE, base / "media", base)
    try:
        for command in (
            ["migrate", "--no-input"],
            ["setup_demo"],
            ["shell", "--command", POPULATE],
        ):
            result = run([sys.executable, "manage.py", *command], environment)
            assert result.returncode == 0, result.stdout + result.stderr
        counts = run(
            [
                sys.executable,
                str(BACKUP_DIR / "verify_restore.py"),
                "--counts-only",
                "--output",
                str(base / "counts.json"),
            ],
            environment,
        )
        assert counts.returncode == 0, counts.stderr
        yield {"environment": environment, "base": base}
    finally:
        drop_database(SOURCE)


@pytest.fixture
def restored_database():
    drop_database(RESTORED)
    yield RESTORED
    drop_database(RESTORED)


def verify(database_name, media_root, source_base, *arguments):
    """Run verify_restore.py on ``database_name``; return its status and report."""
    environment = application_environment(database_name, media_root, source_base)
    output = media_root.parent / f"report-{database_name}.json"
    result = run(
        [
            sys.executable,
            str(BACKUP_DIR / "verify_restore.py"),
            "--output",
            str(output),
            *arguments,
        ],
        environment,
    )
    assert output.exists(), result.stderr[-3000:]
    return result.returncode, json.loads(output.read_text())


def test_source_passes_restore_checks(source):
    base = source["base"]
    status, report = verify(SOURCE, base / "media", base)
    assert status == 0, report["problems"]
    assert report["counts"]["policies.PolicyVersion"] >= 9
    assert report["counts"]["attestations.Acknowledgement"] == ACKNOWLEDGEMENTS
    assert report["counts"]["accounts.HistoricalUser"] >= 5
    assert report["counts"]["audit.AuditEvent"] > 0
    assert report["signed_pdfs_checked"] == report["counts"]["policies.PolicyVersion"]


def test_restored_backup_passes_checks(tmp_path, source, restored_database):
    base = source["base"]
    folder = backup(tmp_path / "backups", media_root=base / "media")
    assert (folder / "database.dump").stat().st_size > 0
    assert (folder / "media.tar").stat().st_size > 0

    restored_media = tmp_path / "restored-media"
    restore = run(
        [str(BACKUP_DIR / "restore.sh"), str(folder), str(restored_media)],
        libpq_environment(restored_database),
    )
    assert restore.returncode == 0, restore.stderr

    status, report = verify(
        restored_database,
        restored_media,
        base,
        "--expect-counts",
        str(base / "counts.json"),
    )
    expected = json.loads((base / "counts.json").read_text())
    assert status == 0, report["problems"]
    assert report["problems"] == []
    assert report["counts"] == expected
    assert report["counts"]["attestations.Acknowledgement"] == ACKNOWLEDGEMENTS
    assert report["signed_pdfs_checked"] == expected["exports.SignedPolicyPdf"]


def test_restore_without_files_fails_check(tmp_path, source, restored_database):
    base = source["base"]
    folder = backup(tmp_path / "backups")
    assert not (folder / "media.tar").exists()
    restore = run(
        [str(BACKUP_DIR / "restore.sh"), str(folder)],
        libpq_environment(restored_database),
    )
    assert restore.returncode == 0, restore.stderr

    # The database came back but the files did not, so the check must fail.
    empty_media = tmp_path / "no-files"
    empty_media.mkdir()
    status, report = verify(restored_database, empty_media, base)
    assert status == 1
    assert any("signed PDF" in problem for problem in report["problems"])


def test_restore_rejects_existing_database(tmp_path, source):
    folder = backup(tmp_path / "backups")
    restore = run(
        [str(BACKUP_DIR / "restore.sh"), str(folder)], libpq_environment(SOURCE)
    )
    assert restore.returncode != 0
    assert "already exists" in restore.stderr


def test_restore_rejects_changed_dump(tmp_path, source, restored_database):
    folder = backup(tmp_path / "backups")
    with open(folder / "database.dump", "ab") as dump:
        dump.write(b"\0")
    restore = run(
        [str(BACKUP_DIR / "restore.sh"), str(folder)],
        libpq_environment(restored_database),
    )
    assert restore.returncode != 0
    assert "FAILED" in restore.stderr + restore.stdout
