"""On PostgreSQL, reject UPDATE and DELETE of audit events in the database."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION policyhub_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are immutable', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    schema_editor.execute(
        "CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE "
        "ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION policyhub_reject_change();"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;"
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
