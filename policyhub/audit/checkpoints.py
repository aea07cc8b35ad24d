"""Signed checkpoints of the audit chain, retention purges and full verification.

A checkpoint signs the chain's head (last event id, its hash and the number
of events since the first ever recorded) with the organisation's signing key
from the PKCS#12 file that also signs PDFs. Whoever can rewrite the table
cannot forge that signature, so verification detects a truncated tail, a
deleted or re-hashed stretch before a checkpoint, and a purge that did not go
through ``purge_expired_events``.
"""

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from .chain import GENESIS_HASH, compute_hash
from .models import AuditCheckpoint, AuditEvent
from .services import lock_chain, record_event

logger = logging.getLogger(__name__)
PAYLOAD_FIELDS = (
    "kind",
    "last_event_id",
    "head_hash",
    "event_count",
    "purged_first_id",
    "purged_last_id",
    "purged_count",
    "actor_label",
)


class AuditTrailBroken(Exception):
    """The chain failed verification, so a purge would hide the damage."""


# --- Signing ----------------------------------------------------------------


def _load_key_and_certificate():
    path = settings.POLICYHUB_SIGNING_P12
    passphrase = settings.POLICYHUB_SIGNING_PASSPHRASE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Signing certificate {path} cannot be read ({exc.strerror}); run "
            "'python manage.py create_signing_certificate' or set POLICYHUB_SIGNING_P12."
        ) from exc
    key, certificate, _ = pkcs12.load_key_and_certificates(
        data, passphrase.encode() if passphrase else None
    )
    if key is None or certificate is None:
        raise ImproperlyConfigured(f"{path} contains no private key or no certificate.")
    return key, certificate


def _certificate_fingerprint(certificate):
    return certificate.fingerprint(hashes.SHA256()).hex()


def _sign(key, data):
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    raise ImproperlyConfigured(f"Unsupported signing key type {type(key).__name__}.")


def _verify(public_key, signature, data):
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))


def canonical_payload(checkpoint, previous):
    """Return the JSON that a checkpoint's signature covers.

    It includes the SHA-256 of the previous checkpoint's signature, so the
    checkpoints form a chain of their own and a deleted one is detected.
    """
    values = {name: getattr(checkpoint, name) for name in PAYLOAD_FIELDS}
    values["created_at"] = checkpoint.created_at.isoformat(timespec="microseconds")
    values["previous_signature_sha256"] = (
        hashlib.sha256(previous.signature.encode()).hexdigest() if previous else None
    )
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def _create_checkpoint(**fields):
    key, certificate = _load_key_and_certificate()
    previous = AuditCheckpoint.objects.order_by("-id").first()
    checkpoint = AuditCheckpoint(created_at=timezone.now(), **fields)
    checkpoint.payload = canonical_payload(checkpoint, previous)
    checkpoint.signature = base64.b64encode(_sign(key, checkpoint.payload.encode())).decode()
    checkpoint.certificate_sha256 = _certificate_fingerprint(certificate)
    checkpoint.save()
    # The log line is a copy of the head outside the database: a log platform
    # that keeps it can show a truncation even if the newest checkpoint is gone.
    logger.info(
        "Audit checkpoint %s (%s): event %s, %s events, head %s",
        checkpoint.pk,
        checkpoint.kind,
        checkpoint.last_event_id,
        checkpoint.event_count,
        checkpoint.head_hash,
    )
    return checkpoint


def latest_purge():
    return AuditCheckpoint.objects.filter(kind=AuditCheckpoint.Kind.PURGE).order_by("-id").first()


def write_checkpoint(actor_label):
    """Sign the current head of the chain; return the checkpoint, or None
    when there is no event or the head is already checkpointed."""
    with transaction.atomic():
        lock_chain()
        head = AuditEvent.objects.order_by("-id").first()
        if head is None:
            return None
        latest = AuditCheckpoint.objects.order_by("-id").first()
        if latest is not None and latest.last_event_id == head.pk:
            return None
        purge = latest_purge()
        purged_total = purge.event_count if purge else 0
        return _create_checkpoint(
            kind=AuditCheckpoint.Kind.PERIODIC,
            last_event_id=head.pk,
            head_hash=head.event_hash,
            event_count=purged_total + AuditEvent.objects.filter(pk__lte=head.pk).count(),
            actor_label=actor_label,
        )


# --- Retention --------------------------------------------------------------


def purge_expired_events(actor_label, now=None):
    """Remove events older than ``AUDIT_RETENTION_DAYS`` with a signed record.

    The removed events are verified first, then a purge checkpoint records
    their first and last id, their number and the hash at the cut, and only
    then are they deleted, in the same transaction. The database trigger lets
    the delete through only in a transaction that set ``policyhub.audit_purge``
    and only for ids a purge checkpoint covers. Returns the checkpoint, or
    None when nothing has expired or retention is off.
    """
    days = settings.AUDIT_RETENTION_DAYS
    if not days:
        return None
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        lock_chain()
        # The cut is the newest expired event; every older id goes with it,
        # so the remaining events stay one unbroken chain.
        cut = AuditEvent.objects.filter(occurred_at__lt=cutoff).order_by("-id").first()
        if cut is None:
            return None
        expired = AuditEvent.objects.filter(pk__lte=cut.pk).order_by("id")
        first_id = expired.values_list("pk", flat=True).first()
        previous_purge = latest_purge()
        start_hash = previous_purge.head_hash if previous_purge else GENESIS_HASH
        events = expired.iterator(chunk_size=2000)
        try:
            checked = _verify_segment(events, start_hash)
        finally:
            # Close the server-side cursor before a rollback drops it.
            events.close()
        checkpoint = _create_checkpoint(
            kind=AuditCheckpoint.Kind.PURGE,
            last_event_id=cut.pk,
            head_hash=cut.event_hash,
            event_count=(previous_purge.event_count if previous_purge else 0) + checked,
            purged_first_id=first_id,
            purged_last_id=cut.pk,
            purged_count=checked,
            actor_label=actor_label,
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('policyhub.audit_purge', 'on', true)")
            cursor.execute("DELETE FROM audit_auditevent WHERE id <= %s", [cut.pk])
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('policyhub.audit_purge', 'off', true)")
        record_event(
            "audit.purged",
            object_type="audit.auditcheckpoint",
            object_id=checkpoint.pk,
            system_actor=actor_label,
            detail={
                "first_id": first_id,
                "last_id": cut.pk,
                "count": checked,
                "head_hash": cut.event_hash,
                "retention_days": days,
            },
        )
    logger.info("Purged audit events %s to %s (%s events)", first_id, cut.pk, checked)
    return checkpoint


def _verify_segment(events, expected_previous):
    checked = 0
    for event in events:
        if event.previous_hash != expected_previous or compute_hash(event) != event.event_hash:
            raise AuditTrailBroken(
                f"event {event.pk} fails verification; run verify_audit_trail "
                "and investigate before purging"
            )
        expected_previous = event.event_hash
        checked += 1
    return checked


# --- Verification -----------------------------------------------------------


@dataclass(frozen=True)
class TrailReport:
    checked: int
    checkpoints: int
    problem: str = ""

    @property
    def intact(self):
        return not self.problem


def _check_checkpoints(checkpoints, certificate):
    public_key = certificate.public_key()
    fingerprint = _certificate_fingerprint(certificate)
    previous = None
    for checkpoint in checkpoints:
        if checkpoint.payload != canonical_payload(checkpoint, previous):
            return f"checkpoint {checkpoint.pk} does not match its signed payload"
        if checkpoint.certificate_sha256 != fingerprint:
            return (
                f"checkpoint {checkpoint.pk} was signed by certificate "
                f"{checkpoint.certificate_sha256[:12]}…, not the configured one"
            )
        try:
            _verify(
                public_key,
                base64.b64decode(checkpoint.signature),
                checkpoint.payload.encode(),
            )
        except (InvalidSignature, ValueError):
            return f"checkpoint {checkpoint.pk}'s signature is invalid"
        previous = checkpoint
    return ""


def verify_trail(events=None):
    """Verify the checkpoints' signatures, then walk the chain against them.

    The walk starts from the newest purge checkpoint's head hash (or the
    genesis hash) and count. At each checkpointed event the hash and count
    must match, and every checkpointed event must still exist.
    """
    _, certificate = _load_key_and_certificate()
    checkpoints = list(AuditCheckpoint.objects.order_by("id"))
    problem = _check_checkpoints(checkpoints, certificate)
    if problem:
        return TrailReport(0, len(checkpoints), problem)

    purges = [cp for cp in checkpoints if cp.kind == AuditCheckpoint.Kind.PURGE]
    cut = purges[-1] if purges else None
    if events is None:
        events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
        try:
            return _walk(events, checkpoints, cut)
        finally:
            events.close()
    return _walk(events, checkpoints, cut)


def _walk(events, checkpoints, cut):
    """Walk ``events`` from the purge checkpoint ``cut`` (or the genesis hash)."""
    expected_previous = cut.head_hash if cut else GENESIS_HASH
    count = cut.event_count if cut else 0
    cut_id = cut.last_event_id if cut else 0
    pending = {cp.last_event_id: cp for cp in checkpoints if cp.last_event_id > cut_id}
    checked = 0
    for event in events:
        if event.pk <= cut_id:
            return TrailReport(
                checked,
                len(checkpoints),
                f"event {event.pk} lies in a purged range but still exists",
            )
        if event.previous_hash != expected_previous:
            return TrailReport(
                checked,
                len(checkpoints),
                (
                    f"event {event.pk} links to {event.previous_hash[:12]}…, but the event "
                    f"before it hashes to {expected_previous[:12]}… (a row was deleted or "
                    "inserted before it)"
                ),
            )
        if compute_hash(event) != event.event_hash:
            return TrailReport(
                checked,
                len(checkpoints),
                (f"event {event.pk}'s content no longer matches its hash (the row was changed)"),
            )
        count += 1
        checkpoint = pending.pop(event.pk, None)
        if checkpoint is not None and (
            checkpoint.head_hash != event.event_hash or checkpoint.event_count != count
        ):
            return TrailReport(
                checked,
                len(checkpoints),
                (
                    f"event {event.pk} does not match signed checkpoint {checkpoint.pk} "
                    f"(expected {checkpoint.event_count} events up to hash "
                    f"{checkpoint.head_hash[:12]}…, found {count} up to "
                    f"{event.event_hash[:12]}…): events were deleted or the chain rebuilt"
                ),
            )
        expected_previous = event.event_hash
        checked += 1
    if pending:
        missing = min(pending)
        return TrailReport(
            checked,
            len(checkpoints),
            (
                f"event {missing}, signed in checkpoint {pending[missing].pk}, is missing: "
                "events were deleted or the end of the trail was truncated"
            ),
        )
    return TrailReport(checked, len(checkpoints))
