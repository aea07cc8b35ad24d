"""Delete Wagtail's default Moderators and Editors groups.

Wagtail's first migrations give Moderators the right to publish and unpublish
any page from the site root. PolicyHub's roles replace both groups, and a
policy must go live or be withdrawn only through its approval workflow.
"""

from django.db import migrations

WAGTAIL_DEFAULT_GROUPS = ("Moderators", "Editors")


def delete_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=WAGTAIL_DEFAULT_GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0004_attestation_settings"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [migrations.RunPython(delete_groups, migrations.RunPython.noop)]
