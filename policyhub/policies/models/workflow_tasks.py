"""Approval steps of the policy workflow, with separation of duties.

Whoever requested the review, or wrote any revision since the policy was last
published, cannot act on it at any step, even as a member of the reviewing
group; and one person approves at most one step of a review. The action is
left out of the admin and rejected when posted directly.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from wagtail.models import Page, Revision, Task, TaskState, WorkflowState

from ...accounts.approvals import with_affirmation
from ...accounts.reauth import require_recent_authentication
from ...accounts.roles import POLICY_OWNERS

REVIEW_ACTIONS = [
    ("reject", "Request changes", True),
    ("approve", "Approve", False),
    ("approve", "Approve with comment", True),
]


def authors_of_review(obj):
    """Return ids of the users who submitted or wrote the revision under review."""
    workflow_state = obj.current_workflow_state
    if workflow_state is None:
        return set()
    return authors_of_workflow(workflow_state)


def authors_of_workflow(workflow_state):
    """Return ids of the requester and of everyone who wrote a revision of the
    page since its last publication, whether before or during the review."""
    author_ids = {workflow_state.requested_by_id}
    task_state = workflow_state.current_task_state
    if task_state is not None and task_state.revision_id:
        author_ids.add(task_state.revision.user_id)
    revisions = Revision.objects.filter(
        base_content_type_id=workflow_state.base_content_type_id,
        object_id=workflow_state.object_id,
    )
    last_published_at = (
        Page.objects.filter(pk=workflow_state.object_id)
        .values_list("last_published_at", flat=True)
        .first()
    )
    if last_published_at is not None:
        revisions = revisions.filter(created_at__gt=last_published_at)
    author_ids.update(revisions.values_list("user_id", flat=True))
    author_ids.discard(None)
    return author_ids


def approvers_of_other_steps(workflow_state, task):
    """Return ids of the users who approved a step other than ``task``."""
    return set(
        workflow_state.task_states.filter(status=TaskState.STATUS_APPROVED)
        .exclude(task_id=task.pk)
        .values_list("finished_by_id", flat=True)
    )


class PolicyReviewTask(Task):
    """A review step whose reviewers are chosen per policy page."""

    class Meta:
        abstract = True

    def reviewer_group_ids(self, obj):
        raise NotImplementedError

    def is_reviewer(self, obj, user):
        if not user.is_authenticated or not user.is_active:
            return False
        group_ids = self.reviewer_group_ids(obj)
        return user.groups.filter(pk__in=group_ids).exists()

    def can_act(self, obj, user):
        obj = obj.specific
        if not self.is_reviewer(obj, user) or user.pk in authors_of_review(obj):
            return False
        workflow_state = obj.current_workflow_state
        if workflow_state is None:
            return False
        return user.pk not in approvers_of_other_steps(workflow_state, self)

    def user_can_access_editor(self, obj, user):
        return self.is_reviewer(obj, user)

    def locked_for_user(self, obj, user):
        return not self.is_reviewer(obj, user)

    def user_can_lock(self, obj, user):
        return self.is_reviewer(obj, user)

    def get_actions(self, obj, user):
        return list(REVIEW_ACTIONS) if self.can_act(obj, user) else []

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        # Two reviewers posting at once must not both act on one step: lock
        # the review and the step, then act only if the step is still open.
        WorkflowState.objects.select_for_update().filter(pk=task_state.workflow_state_id).get()
        task_state = TaskState.objects.select_for_update().get(pk=task_state.pk)
        workflow_state = task_state.workflow_state
        if (
            task_state.status != TaskState.STATUS_IN_PROGRESS
            or workflow_state.status != WorkflowState.STATUS_IN_PROGRESS
            or workflow_state.current_task_state_id != task_state.pk
        ):
            raise PermissionDenied(
                "This review step has already been decided, possibly by another "
                "reviewer a moment ago. Reload the page to see where the review stands."
            )
        obj = workflow_state.content_object.specific
        if not self.can_act(obj, user):
            raise PermissionDenied(
                "You cannot review this revision: reviewers must belong to the "
                "step's group, must not have submitted or written it, and must "
                "not have approved another step of this review."
            )
        if action_name == "approve":
            require_recent_authentication(user)
            reviewed = task_state.revision.as_object() if task_state.revision_id else obj
            kwargs["comment"] = with_affirmation(reviewed, kwargs.get("comment", ""))
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        candidates = self.task_states.filter(
            status=TaskState.STATUS_IN_PROGRESS,
            workflow_state__status=WorkflowState.STATUS_IN_PROGRESS,
            workflow_state__current_task_state=F("pk"),
        )
        return candidates.filter(
            pk__in=[
                state.pk
                for state in candidates.select_related("workflow_state")
                if self.can_act(state.workflow_state.content_object.specific, user)
            ]
        )


class OwnerReviewTask(PolicyReviewTask):
    """First step: a policy owner checks the content."""

    class Meta:
        verbose_name = "Policy owner review"
        verbose_name_plural = "Policy owner reviews"

    @classmethod
    def get_description(cls):
        return "Members of Policy Owners review the content (not its author)."

    def reviewer_group_ids(self, obj):
        return list(Group.objects.filter(name=POLICY_OWNERS).values_list("pk", flat=True))


class ApproverGroupTask(PolicyReviewTask):
    """Second step: management approval by the policy's own approver group."""

    class Meta:
        verbose_name = "Management approval by the policy's approver group"
        verbose_name_plural = "Management approvals"

    @classmethod
    def get_description(cls):
        return "Members of the policy's approver group give management approval."

    def reviewer_group_ids(self, obj):
        # Wagtail's workflow views pass a plain Page; the group is on the policy.
        group_id = getattr(obj.specific, "approver_group_id", None)
        return [group_id] if group_id else []
