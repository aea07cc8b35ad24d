"""Build evidence packs: a ZIP of signed PDFs, reports and a signed manifest.

Files are written into the ZIP one at a time from storage, so memory stays
bounded however large the pack. Other features add their own files by
registering a section with ``register_section``.
"""

import csv
import datetime
import hashlib
import io
import logging
import tempfile
import zipfile
from dataclasses import dataclass

from django.core.files import File
from django.utils import timezone

from .manifest import MANIFEST_NAME, SIGNATURE_NAME, manifest_bytes, sha256_of, sign_detached

logger = logging.getLogger(__name__)
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    build: object  # callable(pack, writer) writing files through writer.add_*


_SECTIONS = []


def register_section(key, label, build):
    """Add a section that every pack contains, in registration order."""
    if any(section.key == key for section in _SECTIONS):
        return
    _SECTIONS.append(Section(key, label, build))


def sections():
    return list(_SECTIONS)


class PackWriter:
    """Write members into a ZIP and remember their SHA-256 for the manifest."""

    def __init__(self, archive):
        self.archive = archive
        self.entries = {}

    def add_bytes(self, name, data):
        self._check_name(name)
        with self.archive.open(name, "w") as member:
            member.write(data)
        self.entries[name] = sha256_of(io.BytesIO(data))

    def add_file(self, name, fileobj):
        """Copy a binary file object in chunks, hashing as it goes."""
        self._check_name(name)
        digest, size = hashlib.sha256(), 0
        with self.archive.open(name, "w", force_zip64=True) as member:
            while chunk := fileobj.read(CHUNK):
                member.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.entries[name] = (digest.hexdigest(), size)

    def add_csv(self, name, header, rows):
        """Write ``rows`` (any iterable) as UTF-8 CSV, a chunk at a time."""
        self._check_name(name)
        digest, size = hashlib.sha256(), 0
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        with self.archive.open(name, "w", force_zip64=True) as member:
            for row in rows:
                writer.writerow(row)
                if buffer.tell() >= CHUNK:
                    size += _flush(buffer, member, digest)
            size += _flush(buffer, member, digest)
        self.entries[name] = (digest.hexdigest(), size)

    def _check_name(self, name):
        if name in self.entries or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"Invalid or repeated member name {name!r} in evidence pack.")


def _flush(buffer, member, digest):
    """Move the text in ``buffer`` into ``member`` and return the number of bytes written."""
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    member.write(data)
    digest.update(data)
    return len(data)


def period_bounds(pack):
    """Return the aware datetimes [start, end) covering the pack's period."""
    start = timezone.make_aware(datetime.datetime.combine(pack.period_start, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(pack.period_end + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def versions_in_force(pack):
    """Return every policy version that was in force at some time in the period."""
    from ..policies.models import PolicyVersion

    start, end = period_bounds(pack)
    versions = PolicyVersion.objects.filter(published_at__lt=end).select_related("policy")
    if pack.policy_slugs:
        versions = versions.filter(policy__slug__in=pack.policy_slugs)
    by_policy = {}
    for version in versions.order_by("policy_id", "major", "minor"):
        by_policy.setdefault(version.policy_id, []).append(version)
    selected = []
    for chain in by_policy.values():
        for version, following in zip(chain, [*chain[1:], None], strict=True):
            superseded_at = following.published_at if following else None
            if superseded_at is None or superseded_at > start:
                selected.append(version)
    return selected


def build_pack(pack, progress, actor):
    """Write the pack's ZIP to storage; ``progress(percent)`` reports progress."""
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            writer = PackWriter(archive)
            active = sections()
            for index, section in enumerate(active):
                section.build(pack, writer, actor)
                progress(int(90 * (index + 1) / len(active)))
            writer.add_bytes("README.txt", _readme().encode())
            manifest = manifest_bytes(
                writer.entries,
                organisation=_organisation(),
                period_start=pack.period_start.isoformat(),
                period_end=pack.period_end.isoformat(),
                generated_at=timezone.now().isoformat(timespec="seconds"),
                requested_by=f"user:{pack.requested_by_id}",
                sections=[section.label for section in active],
            )
            archive.writestr(MANIFEST_NAME, manifest)
            archive.writestr(SIGNATURE_NAME, sign_detached(manifest))
        spool.seek(0)
        digest, size = sha256_of(spool)
        spool.seek(0)
        pack.file.save(pack.filename, File(spool), save=False)
    return digest, size


def _organisation():
    from django.conf import settings

    return settings.POLICYHUB_ORGANISATION_NAME


def _readme():
    return (
        "PolicyHub evidence pack\n\n"
        "manifest.json lists every file with its SHA-256. manifest.json.p7s is a\n"
        "detached CMS signature of manifest.json made with the organisation's\n"
        "signing certificate. Each PDF carries its own PAdES signature.\n\n"
        "Verify offline with: python manage.py verify_evidence PACK.zip\n"
        "or, with only pyHanko installed: python verify_evidence_pack.py PACK.zip "
        "--trust policyhub-signing.pem\n"
    )


def copy_storage_file(writer, name, field_file):
    with field_file.open("rb") as source:
        writer.add_file(name, source)


def _policy_section(pack, writer, actor):
    from .services import signed_pdf_for

    rows = []
    for version in versions_in_force(pack):
        record = signed_pdf_for(version, actor=actor)
        copy_storage_file(writer, f"policies/{version.policy.slug}/{record.filename}", record.file)
        approvals = "; ".join(
            f"{a.step}: {a.approved_by} at {a.approved_at:%Y-%m-%d %H:%M:%S}Z"
            for a in version.approvals.select_related("approved_by")
        )
        rows.append([
            version.policy.slug, version.title, version.label, version.change_type,
            version.effective_date.isoformat(), version.published_at.isoformat(),
            version.content_sha256, approvals,
        ])
    writer.add_csv(
        "policies/versions-in-force.csv",
        ["policy", "title", "version", "change_type", "effective_date", "published_at",
         "content_sha256", "approvals"],
        rows,
    )


def _attestation_section(pack, writer, actor):
    from ..attestations.models import Acknowledgement

    start, end = period_bounds(pack)
    versions = versions_in_force(pack)
    acks = (
        Acknowledgement.objects.filter(version__in=versions, acknowledged_at__lt=end)
        .select_related("user", "version__policy")
        .order_by("acknowledged_at")
    )
    writer.add_csv(
        "attestations/acknowledgements.csv",
        ["policy", "version", "user_id", "name", "acknowledged_at", "content_sha256"],
        (
            [ack.version.policy.slug, ack.version.label, ack.user_id,
             ack.user.get_full_name(), ack.acknowledged_at.isoformat(), ack.content_sha256]
            for ack in acks.iterator(chunk_size=2000)
        ),
    )


def _audit_section(pack, writer, actor):
    if not pack.include_audit:
        return
    from ..audit.chain import verify_chain
    from ..audit.models import AuditEvent

    start, end = period_bounds(pack)
    events = AuditEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end).order_by("id")
    writer.add_csv(
        "audit/audit-events.csv",
        ["id", "occurred_at", "actor", "action", "object_type", "object_id", "outcome",
         "request_id", "previous_hash", "event_hash"],
        (
            [e.pk, e.occurred_at.isoformat(), e.actor_label, e.action, e.object_type,
             e.object_id, e.outcome, e.request_id, e.previous_hash, e.event_hash]
            for e in events.iterator(chunk_size=2000)
        ),
    )
    iterator = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    try:
        report = verify_chain(iterator)
    finally:
        iterator.close()
    writer.add_bytes(
        "audit/chain-verification.txt",
        (
            f"Audit trail checked at {timezone.now().isoformat(timespec='seconds')}: "
            + (f"intact, {report.checked} events." if report.intact else f"BROKEN: {report.problem}.")
            + "\n"
        ).encode(),
    )


register_section("policies", "Policy versions in force with approval trails", _policy_section)
register_section("attestations", "Acknowledgements", _attestation_section)
register_section("audit", "Audit trail extract", _audit_section)

