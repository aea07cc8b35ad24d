"""Create the training index page under the Wagtail root, next to the policy
library. It is not part of the policy site: the portal serves modules under
/training/."""

import uuid

from django.db import migrations

BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEP_LENGTH = 4  # django-treebeard's path segment length in Wagtail


def _next_child_path(parent, Page):
    last = (
        Page.objects.filter(depth=parent.depth + 1, path__startswith=parent.path)
        .order_by("-path").values_list("path", flat=True).first()
    )
    number = int(last[-STEP_LENGTH:], 36) + 1 if last else 1
    segment = ""
    while number:
        number, digit = divmod(number, 36)
        segment = BASE36[digit] + segment
    return parent.path + segment.rjust(STEP_LENGTH, "0")


def create_index(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Locale = apps.get_model("wagtailcore", "Locale")
    TrainingIndexPage = apps.get_model("training", "TrainingIndexPage")
    if TrainingIndexPage.objects.exists():
        return
    root = Page.objects.get(depth=1)
    content_type, _ = ContentType.objects.get_or_create(
        app_label="training", model="trainingindexpage"
    )
    TrainingIndexPage.objects.create(
        title="Training",
        draft_title="Training",
        slug="training",
        content_type=content_type,
        path=_next_child_path(root, Page),
        depth=2,
        numchild=0,
        url_path="/training/",
        live=True,
        has_unpublished_changes=False,
        locale=Locale.objects.order_by("pk").first(),
        translation_key=uuid.uuid4(),
        intro="Security awareness and role training.",
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])


def remove_index(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    apps.get_model("training", "TrainingIndexPage").objects.all().delete()
    root = Page.objects.get(depth=1)
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0001_initial"),
        ("policies", "0002_library_and_workflow"),
    ]

    operations = [migrations.RunPython(create_index, remove_index)]
