"""Let retention purges through the append-only trigger, guard checkpoints,
and create the Security Team group that signs off log reviews.

On PostgreSQL, UPDATE of an audit event is always rejected. DELETE is allowed
only in a transaction that set ``policyhub.audit_purge`` to ``on`` (which only
the purge service does) and only for ids that a purge checkpoint covers.
Checkpoints themselves can never be updated or deleted.
"""

from django.db import migrations

GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION policyhub_audit_event_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('policyhub.audit_purge', true) = 'on'
       AND OLD.id <= (SELECT max(purged_last_id) FROM audit_auditcheckpoint
                      WHERE kind = 'purge') THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'rows of % are append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
REJECT_FUNCTION = """
CREATE OR REPLACE FUNCTION policyhub_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are immutable', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
EVENT_TRIGGER = "audit_auditevent_append_only"
CHECKPOINT_TRIGGER = "audit_auditcheckpoint_append_only"


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(GUARD_FUNCTION, params=None)
    schema_editor.execute(REJECT_FUNCTION, params=None)
    schema_editor.execute(
        f"DROP TRIGGER IF EXISTS {EVENT_TRIGGER} ON audit_auditevent;"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {EVENT_TRIGGER} BEFORE UPDATE OR DELETE ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION policyhub_audit_event_guard();"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {CHECKPOINT_TRIGGER} BEFORE UPDATE OR DELETE "
        "ON audit_auditcheckpoint FOR EACH ROW EXECUTE FUNCTION policyhub_reject_change();"
    )


def restore_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"DROP TRIGGER IF EXISTS {CHECKPOINT_TRIGGER} ON audit_auditcheckpoint;"
    )
    schema_editor.execute(
        f"DROP TRIGGER IF EXISTS {EVENT_TRIGGER} ON audit_auditevent;"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {EVENT_TRIGGER} BEFORE UPDATE OR DELETE ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION policyhub_reject_change();"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS policyhub_audit_event_guard();")


def create_security_team(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="Security Team")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_checkpoints_and_log_reviews"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(install_triggers, restore_triggers),
        migrations.RunPython(create_security_team, migrations.RunPython.noop),
    ]
