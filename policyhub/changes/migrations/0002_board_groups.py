"""Create the groups of the change advisory board and the emergency board."""

from django.db import migrations

BOARD_GROUPS = ("CAB", "Emergency CAB")


def create_board_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in BOARD_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_board_groups, migrations.RunPython.noop)]
