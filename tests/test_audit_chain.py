"""Audit events for the policy flow, and a hash chain that detects tampering."""

from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from policyhub.attestations.services import acknowledge
from policyhub.audit.chain import GENESIS_HASH, compute_hash, verify_chain
from policyhub.audit.models import AuditEvent
from policyhub.audit.services import record_event

pytestmark = pytest.mark.django_db


def actions():
    return list(AuditEvent.objects.values_list("action", flat=True))


def test_policy_flow_is_audited(published_policy, personas):
    _, version = published_policy
    acknowledge(personas["employee"], version, version.content_sha256)
    recorded = actions()
    assert "policy.submitted" in recorded
    assert recorded.count("policy.step_approved") == 2
    assert "page.published" in recorded
    assert recorded[-1] == "policy.acknowledged"
    last = AuditEvent.objects.last()
    assert last.actor == personas["employee"]
    assert last.detail["version"] == "1.0"


def test_login_success_and_failure_audited(personas, client):
    client.post("/accounts/login/", {"login": "employee@example.test", "password": "wrong"})
    client.post(
        "/accounts/login/",
        {"login": "employee@example.test", "password": "Persona-Password-42!"},
    )
    events = list(AuditEvent.objects.filter(action="auth.login"))
    assert [e.outcome for e in events] == ["failure", "success"]
    assert "employee@example.test" not in str(events[0].detail)
    assert events[1].actor == personas["employee"]


def test_denied_download_audited(published_policy, personas, client):
    _, version = published_policy
    client.force_login(personas["employee"])
    client.get(f"/exports/versions/{version.pk}/signed.pdf")
    event = AuditEvent.objects.get(action="access.denied")
    assert event.outcome == "denied"
    assert event.object_id == str(version.pk)


def make_chain(count=4):
    return [record_event("test.event", detail={"n": n}, system_actor="test") for n in range(count)]


def test_chain_links_each_event():
    head_before = AuditEvent.objects.order_by("-id").first()
    events = make_chain()
    assert events[0].previous_hash == (head_before.event_hash if head_before else GENESIS_HASH)
    for before, after in pairwise(events):
        assert after.previous_hash == before.event_hash
    assert verify_chain(AuditEvent.objects.order_by("id")).intact


def test_verify_command_reports_intact():
    make_chain()
    out = StringIO()
    call_command("verify_audit_trail", stdout=out)
    assert f"Audit trail intact: {AuditEvent.objects.count()} event(s)" in out.getvalue()


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _without_trigger(sql, params):
    """Tamper as a database owner would, bypassing the append-only trigger."""
    if connection.vendor == "postgresql":
        _raw("SET CONSTRAINTS ALL IMMEDIATE", [])
        _raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only", [])
    _raw(sql, params)
    if connection.vendor == "postgresql":
        _raw("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only", [])


def test_changed_row_is_detected():
    events = make_chain()
    _without_trigger("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit_trail")
    assert f"event {events[2].pk}'s content no longer matches" in str(caught.value)


def test_deleted_row_is_detected():
    events = make_chain()
    _without_trigger("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    report = verify_chain(AuditEvent.objects.order_by("id"))
    assert report.broken_at == events[2].pk


def test_inserted_row_is_detected():
    events = make_chain()
    forged = AuditEvent(
        occurred_at=events[1].occurred_at,
        actor_label="user:1",
        action="forged",
        outcome="success",
        detail={},
        previous_hash=events[1].event_hash,
    )
    forged.event_hash = compute_hash(forged)
    forged.save()
    report = verify_chain(AuditEvent.objects.order_by("id"))
    assert report.broken_at == forged.pk


def test_model_refuses_changes():
    [event] = make_chain(1)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger exists on PostgreSQL only")
def test_database_blocks_update_and_delete():
    [event] = make_chain(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
