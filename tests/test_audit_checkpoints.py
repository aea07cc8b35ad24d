"""Signed checkpoints, truncation detection and retention purges."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from policyhub.audit.chain import compute_hash
from policyhub.audit.checkpoints import (
    AuditTrailBroken,
    purge_expired_events,
    verify_trail,
    write_checkpoint,
)
from policyhub.audit.models import AuditCheckpoint, AuditEvent
from policyhub.audit.services import record_event
from policyhub.audit.tasks import verify_trail_task

pytestmark = pytest.mark.django_db
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


def make_chain(count=4):
    return [record_event("test.event", detail={"n": n}, system_actor="test") for n in range(count)]


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def disable_trigger():
    if connection.vendor == "postgresql":
        # ALTER TABLE fails while deferred foreign key checks are pending.
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")


def delete_bypassing_trigger(sql, params):
    """Delete as a database owner would, with the append-only trigger off."""
    disable_trigger()
    raw(sql, params)
    if connection.vendor == "postgresql":
        raw("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")


def backdate(events, days):
    """Move events into the past, as if they had been recorded then."""
    disable_trigger()
    for event in events:
        event.occurred_at -= timedelta(days=days)
        event.previous_hash = (
            AuditEvent.objects.filter(pk__lt=event.pk)
            .order_by("-id")
            .values_list("event_hash", flat=True)
            .first()
            or event.previous_hash
        )
        event.event_hash = compute_hash(event)
        raw(
            "UPDATE audit_auditevent SET occurred_at = %s, previous_hash = %s, "
            "event_hash = %s WHERE id = %s",
            [event.occurred_at, event.previous_hash, event.event_hash, event.pk],
        )
    if connection.vendor == "postgresql":
        raw("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")


def test_checkpoint_signs_chain_head():
    events = make_chain()
    checkpoint = write_checkpoint("test")
    assert checkpoint.last_event_id == events[-1].pk
    assert checkpoint.head_hash == events[-1].event_hash
    assert checkpoint.event_count == AuditEvent.objects.count()
    assert verify_trail().intact


def test_second_checkpoint_without_events_skipped():
    make_chain(1)
    assert write_checkpoint("test") is not None
    assert write_checkpoint("test") is None
    assert AuditCheckpoint.objects.count() == 1


def test_truncated_tail_detected():
    events = make_chain()
    write_checkpoint("test")
    delete_bypassing_trigger("DELETE FROM audit_auditevent WHERE id >= %s", [events[2].pk])
    report = verify_trail()
    assert not report.intact
    assert "truncated" in report.problem
    with pytest.raises(CommandError, match="truncated"):
        call_command("verify_audit_trail")


def test_rebuilt_chain_before_checkpoint_detected():
    events = make_chain()
    write_checkpoint("test")
    # Delete an event and re-link the rest, as a database owner could; only
    # the signed count and head hash of the checkpoint still catch it.
    delete_bypassing_trigger("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    backdate(AuditEvent.objects.filter(pk__gt=events[1].pk).order_by("id"), 0)
    report = verify_trail()
    assert not report.intact
    assert "does not match signed checkpoint" in report.problem


def test_forged_checkpoint_detected():
    make_chain()
    checkpoint = write_checkpoint("test")
    if connection.vendor == "postgresql":
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw("ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER audit_auditcheckpoint_append_only")
    raw(
        "UPDATE audit_auditcheckpoint SET event_count = event_count - 1, payload = "
        "REPLACE(payload, %s, %s) WHERE id = %s",
        [
            f'"event_count":{checkpoint.event_count}',
            f'"event_count":{checkpoint.event_count - 1}',
            checkpoint.pk,
        ],
    )
    if connection.vendor == "postgresql":
        raw("ALTER TABLE audit_auditcheckpoint ENABLE TRIGGER audit_auditcheckpoint_append_only")
    report = verify_trail()
    assert report.problem == f"checkpoint {checkpoint.pk}'s signature is invalid"


def test_verify_command_counts_checkpoints():
    make_chain()
    write_checkpoint("test")
    out = StringIO()
    call_command("verify_audit_trail", stdout=out)
    assert "1 signed checkpoint(s)" in out.getvalue()


def test_purge_keeps_chain_verifiable(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = make_chain(3)
    backdate(AuditEvent.objects.filter(pk__lte=old[-1].pk).order_by("id"), 40)
    recent = make_chain(2)
    total_before = AuditEvent.objects.count()
    checkpoint = purge_expired_events("test")
    assert checkpoint.kind == "purge"
    assert checkpoint.purged_last_id == old[-1].pk
    assert checkpoint.purged_count == total_before - 2
    assert not AuditEvent.objects.filter(pk__lte=old[-1].pk).exists()
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in recent]).count() == 2
    purged = AuditEvent.objects.get(action="audit.purged")
    assert purged.detail["count"] == checkpoint.purged_count
    report = verify_trail()
    assert report.intact, report.problem
    write_checkpoint("test")
    assert verify_trail().intact


def test_purge_of_everything_continues_chain(settings):
    settings.AUDIT_RETENTION_DAYS = 1
    make_chain(2)
    backdate(AuditEvent.objects.order_by("id"), 5)
    purge_expired_events("test")
    record_event("test.after", system_actor="test")
    assert verify_trail().intact


def test_purge_refuses_broken_chain(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    events = make_chain(3)
    backdate(AuditEvent.objects.order_by("id"), 40)
    delete_bypassing_trigger("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(AuditTrailBroken):
        purge_expired_events("test")
    assert AuditCheckpoint.objects.count() == 0


def test_purge_without_retention_does_nothing(settings):
    settings.AUDIT_RETENTION_DAYS = 0
    make_chain(1)
    assert purge_expired_events("test", now=timezone.now() + timedelta(days=9999)) is None


@POSTGRESQL_ONLY
def test_purge_setting_alone_allows_no_delete():
    [event] = make_chain(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("SELECT set_config('policyhub.audit_purge', 'on', true)")
        raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


@POSTGRESQL_ONLY
def test_database_blocks_checkpoint_changes():
    make_chain(1)
    checkpoint = write_checkpoint("test")
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(
            "UPDATE audit_auditcheckpoint SET event_count = 0 WHERE id = %s",
            [checkpoint.pk],
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("DELETE FROM audit_auditcheckpoint WHERE id = %s", [checkpoint.pk])


def test_daily_verification_records_failure():
    events = make_chain()
    assert verify_trail_task.delay().get() is True
    delete_bypassing_trigger("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    assert verify_trail_task.delay().get() is False
    results = list(AuditEvent.objects.filter(action="audit.verified").order_by("id"))
    assert [event.outcome for event in results] == ["success", "failure"]
    assert results[1].actor_label == "task:audit.verify_trail"
    assert "a row was deleted or inserted" in results[1].detail["problem"]
