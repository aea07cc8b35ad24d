"""On PostgreSQL, reject UPDATE and DELETE of published versions and their
approvals in the database itself, whatever code path tries it."""

from django.db import migrations

TABLES = ("policies_policyversion", "policies_policyapproval")

FUNCTION = """
CREATE OR REPLACE FUNCTION policyhub_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are immutable', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION policyhub_reject_change();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};")


class Migration(migrations.Migration):
    dependencies = [("policies", "0002_library_and_workflow")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
