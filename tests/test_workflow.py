"""Two-step approval workflow with separation of duties."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState

from policyhub.accounts import roles
from policyhub.policies.models import PolicyPage
from policyhub.policies.workflow import act_on_current_step, submit_for_approval

from .conftest import import_one

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(personas, tmp_path):
    return import_one(tmp_path)


def submit(page, user, summary="Initial version.", change_type=""):
    return submit_for_approval(page.get_latest_revision_as_object(), user, summary, change_type)


def current_task_name(page):
    return PolicyPage.objects.get(pk=page.pk).current_workflow_task.name


def test_workflow_has_owner_then_management_step(draft, personas):
    submit(draft, personas["author"])
    assert current_task_name(draft) == "Owner review"

    act_on_current_step(draft, personas["owner"], "approve")
    assert current_task_name(draft) == "Management approval"
    assert not PolicyPage.objects.get(pk=draft.pk).live

    act_on_current_step(draft, personas["approver"], "approve")
    page = PolicyPage.objects.get(pk=draft.pk)
    assert page.live
    assert page.current_version().label == "1.0"


def test_approver_cannot_review_owner_step(draft, personas):
    submit(draft, personas["author"])
    with pytest.raises(PermissionDenied):
        act_on_current_step(draft, personas["approver"], "approve")


def test_owner_cannot_give_management_approval(draft, personas):
    submit(draft, personas["author"])
    act_on_current_step(draft, personas["owner"], "approve")
    with pytest.raises(PermissionDenied):
        act_on_current_step(draft, personas["owner2"], "approve")


def test_submitter_in_reviewer_group_cannot_approve(draft, personas):
    owner = personas["owner"]
    owner.groups.add(Group.objects.get(name=roles.APPROVERS))
    submit(draft, owner)
    page = PolicyPage.objects.get(pk=draft.pk)

    assert page.current_workflow_task.specific.get_actions(page, owner) == []
    with pytest.raises(PermissionDenied):
        act_on_current_step(draft, owner, "approve")

    act_on_current_step(draft, personas["owner2"], "approve")
    page = PolicyPage.objects.get(pk=draft.pk)
    assert page.current_workflow_task.specific.get_actions(page, owner) == []
    with pytest.raises(PermissionDenied):
        act_on_current_step(draft, owner, "approve")


def test_submitter_direct_post_is_rejected(draft, personas, client):
    owner = personas["owner"]
    submit(draft, owner)
    task_state = PolicyPage.objects.get(pk=draft.pk).current_workflow_task_state
    client.force_login(owner)

    url = reverse(
        "wagtailadmin_pages:workflow_action", args=(draft.pk, "approve", task_state.pk)
    )
    response = client.post(url, {"comment": "self approval"})

    assert response.status_code in (302, 403)
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    assert not PolicyPage.objects.get(pk=draft.pk).live


def test_task_rejects_submitter_even_past_the_view(draft, personas):
    owner = personas["owner"]
    submit(draft, owner)
    page = PolicyPage.objects.get(pk=draft.pk)
    task_state = page.current_workflow_task_state
    with pytest.raises(PermissionDenied):
        page.current_workflow_task.specific.on_action(task_state.specific, owner, "approve")


def test_reviewer_who_edits_cannot_then_approve(draft, personas):
    submit(draft, personas["author"])
    page = PolicyPage.objects.get(pk=draft.pk)
    edited = page.get_latest_revision_as_object()
    edited.summary = "Edited by the reviewer."
    edited.save_revision(user=personas["owner"])

    with pytest.raises(PermissionDenied):
        act_on_current_step(draft, personas["owner"], "approve")

    # The approval was given on the earlier revision, so the edited revision
    # needs its own owner review before it moves on.
    act_on_current_step(draft, personas["owner2"], "approve")
    assert current_task_name(draft) == "Owner review"
    with pytest.raises(PermissionDenied):
        act_on_current_step(draft, personas["owner"], "approve")
    act_on_current_step(draft, personas["owner2"], "approve")
    assert current_task_name(draft) == "Management approval"


def test_rejection_returns_to_draft_with_comment(draft, personas):
    submit(draft, personas["author"])
    act_on_current_step(draft, personas["owner"], "reject", "Scope section is incomplete.")

    page = PolicyPage.objects.get(pk=draft.pk)
    state = WorkflowState.objects.get(object_id=str(draft.pk))
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    rejected = TaskState.objects.get(workflow_state=state, status=TaskState.STATUS_REJECTED)
    assert rejected.comment == "Scope section is incomplete."
    assert rejected.finished_by == personas["owner"]
    assert not page.live
    assert not page.versions.exists()


def test_resubmission_after_rejection_restarts_review(draft, personas):
    submit(draft, personas["author"])
    act_on_current_step(draft, personas["owner"], "reject", "Fix scope.")
    page = PolicyPage.objects.get(pk=draft.pk)
    edited = page.get_latest_revision_as_object()
    edited.summary = "Scope fixed."
    edited.save_revision(user=personas["author"])
    page.current_workflow_state.resume(personas["author"])

    assert current_task_name(draft) == "Owner review"
    act_on_current_step(draft, personas["owner"], "approve")
    act_on_current_step(draft, personas["approver"], "approve")
    assert PolicyPage.objects.get(pk=draft.pk).live


def test_direct_publish_is_rejected(draft, personas):
    revision = draft.get_latest_revision()
    with pytest.raises(PermissionDenied):
        revision.publish(user=personas["author"])
    with pytest.raises(PermissionDenied):
        revision.publish(user=None, skip_permission_checks=True)
    assert not PolicyPage.objects.get(pk=draft.pk).live


def test_nobody_may_publish_in_admin(draft, personas, admin_user):
    assert not draft.permissions_for_user(admin_user).can_publish()
    assert not draft.permissions_for_user(personas["author"]).can_publish()
    assert not draft.permissions_for_user(admin_user).can_delete()


def test_second_submission_while_in_review_is_rejected(draft, personas):
    submit(draft, personas["author"])
    page = PolicyPage.objects.get(pk=draft.pk)
    with pytest.raises(ValidationError):
        submit(page, personas["author"])


def test_submit_requires_change_type_after_first_version(published_policy, personas):
    page, _ = published_policy
    with pytest.raises(ValidationError) as caught:
        submit(page, personas["author"], "Tweak wording.", change_type="medium")
    assert "'medium' is not a change type" in str(caught.value)


def test_admin_submit_requires_change_summary(published_policy, personas, client):
    page, _ = published_policy
    client.force_login(personas["author"])
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    response = client.get(url)
    assert response.status_code == 200

    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "pk"):
            value = value.pk
        data[name] = value if value is not None else ""
    data.update(_body_formset(page))
    data["change_summary"] = ""
    data["change_type"] = ""
    data["action-submit"] = "Submit"
    response = client.post(url, data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Describe what changed" in str(errors["change_summary"])
    assert "Declare the change major" in str(errors["change_type"])
    assert not PolicyPage.objects.get(pk=page.pk).workflow_in_progress


def _body_formset(page):
    data = {"body-count": str(len(page.body))}
    for index, block in enumerate(page.body):
        data[f"body-{index}-type"] = block.block_type
        data[f"body-{index}-deleted"] = ""
        data[f"body-{index}-order"] = str(index)
        data[f"body-{index}-id"] = block.id
        data[f"body-{index}-value-heading"] = block.value["heading"]
        data[f"body-{index}-value-content"] = block.value["content"]
    data["comments-TOTAL_FORMS"] = "0"
    data["comments-INITIAL_FORMS"] = "0"
    data["comments-MIN_NUM_FORMS"] = "0"
    data["comments-MAX_NUM_FORMS"] = "1000"
    return data
