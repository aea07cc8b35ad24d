"""Approval steps of the policy workflow, with separation of duties.

Whoever requested the review, or wrote a revision under review, cannot act on
it at any step, even as a member of the reviewing group. The action is left
out of the admin and rejected when posted directly.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from wagtail.models import Revision, Task, TaskState

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
    """Return ids of the requester and of everyone who wrote a revision in it."""
    author_ids = {workflow_state.requested_by_id}
    task_state = workflow_state.current_task_state
    if task_state is not None and task_state.revision_id:
        author_ids.add(task_state.revision.user_id)
    author_ids.update(
        Revision.objects.filter(
            base_content_type_id=workflow_state.base_content_type_id,
            object_id=workflow_state.object_id,
            created_at__gte=workflow_state.created_at,
        ).values_list("user_id", flat=True)
    )
    author_ids.discard(None)
    return author_ids


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
        return self.is_reviewer(obj, user) and user.pk not in authors_of_review(obj)

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
        obj = task_state.workflow_state.content_object.specific
        if not self.can_act(obj, user):
            raise PermissionDenied(
                "You cannot review this revision: reviewers must belong to the "
                "step's group and must not have submitted or written it."
            )
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        candidates = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
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
        group_id = getattr(obj, "approver_group_id", None)
        return [group_id] if group_id else []


