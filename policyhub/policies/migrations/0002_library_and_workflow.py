"""Create the policy library page, make it the site root, and attach the
two-step approval workflow (owner review, then management approval)."""

import uuid

from django.db import migrations

BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEP_LENGTH = 4  # django-treebeard's path segment length in Wagtail


def _next_child_path(parent, children):
    last = children.order_by("-path").values_list("path", flat=True).first()
    number = int(last[-STEP_LENGTH:], 36) + 1 if last else 1
    segment = ""
    while number:
        number, digit = divmod(number, 36)
        segment = BASE36[digit] + segment
    return parent.path + segment.rjust(STEP_LENGTH, "0")


def create_library(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Locale = apps.get_model("wagtailcore", "Locale")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    PolicyIndexPage = apps.get_model("policies", "PolicyIndexPage")
    OwnerReviewTask = apps.get_model("policies", "OwnerReviewTask")
    ApproverGroupTask = apps.get_model("policies", "ApproverGroupTask")

    def content_type(model):
        return ContentType.objects.get_or_create(app_label="policies", model=model)[0]

    root = Page.objects.get(depth=1)
    # Wagtail's placeholder welcome page (a plain Page) gives way to the library.
    welcome = Page.objects.filter(
        depth=2, content_type__app_label="wagtailcore", content_type__model="page"
    )
    Site.objects.filter(root_page__in=welcome).delete()
    welcome.delete()

    library = PolicyIndexPage.objects.create(
        title="Policies",
        draft_title="Policies",
        slug="policies",
        content_type=content_type("policyindexpage"),
        path=_next_child_path(root, Page.objects.filter(depth=2)),
        depth=2,
        numchild=0,
        url_path="/policies/",
        live=True,
        has_unpublished_changes=False,
        locale=Locale.objects.order_by("pk").first(),
        translation_key=uuid.uuid4(),
        intro="The policies of the organisation, as approved by management.",
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    Site.objects.update(is_default_site=False)
    Site.objects.create(
        hostname="localhost", port=80, root_page_id=library.pk,
        is_default_site=True, site_name="PolicyHub",
    )

    workflow = Workflow.objects.create(name="Policy approval", active=True)
    owner_review = OwnerReviewTask.objects.create(
        name="Owner review", content_type=content_type("ownerreviewtask"), active=True
    )
    management = ApproverGroupTask.objects.create(
        name="Management approval",
        content_type=content_type("approvergrouptask"),
        active=True,
    )
    WorkflowTask.objects.create(workflow=workflow, task=owner_review, sort_order=0)
    WorkflowTask.objects.create(workflow=workflow, task=management, sort_order=1)
    WorkflowPage.objects.create(page_id=library.pk, workflow=workflow)


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0001_initial"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_library, migrations.RunPython.noop)]
