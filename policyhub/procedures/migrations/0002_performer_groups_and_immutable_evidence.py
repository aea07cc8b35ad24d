"""Create the groups that perform procedures and, on PostgreSQL, reject UPDATE
and DELETE of step evidence and signed run records in the database itself."""

from django.db import migrations

GROUPS = ("IT Operations", "Security Operations", "Supplier Management", "Business Continuity")
TABLES = ("procedures_stepevidence", "procedures_signedrunpdf")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # policyhub_reject_change() is created by policies migration 0003.
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
    dependencies = [
        ("procedures", "0001_initial"),
        ("policies", "0003_immutable_records_postgresql"),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
