"""Publication of a policy revision once its approval workflow completes.

Wagtail imports the finish action while loading ``wagtail.models``, so this
module imports models inside the function, not at module level.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction

logger = logging.getLogger(__name__)


def publish_approved_revision(workflow_state, user=None):
    """Publish the revision a completed workflow approved.

    Wagtail calls this (``WAGTAIL_FINISH_WORKFLOW_ACTION``) inside the
    transaction that marks the workflow approved. For a policy it also checks
    that every step was approved by someone other than the revision's authors,
    then records the immutable PolicyVersion in the same transaction.
    """
    from wagtail.models import TaskState

    from ..exports.tasks import render_signed_pdf
    from .models import PolicyPage
    from .models.pages import approved_publish_in_progress
    from .models.workflow_tasks import authors_of_workflow
    from .versioning import record_version

    page = workflow_state.content_object.specific
    revision = page.get_latest_revision()
    if not isinstance(page, PolicyPage):
        revision.publish(user=user)
        return

    authors = authors_of_workflow(workflow_state)
    approvers = set(
        workflow_state.task_states.filter(status=TaskState.STATUS_APPROVED).values_list(
            "finished_by_id", flat=True
        )
    )
    if approvers & authors:
        raise PermissionDenied("An author of this revision approved a step.")
    latest_by_step = {}
    for state in workflow_state.task_states.filter(
        status=TaskState.STATUS_APPROVED
    ).order_by("finished_at"):
        latest_by_step[state.task_id] = state.finished_by_id
    if len(set(latest_by_step.values())) != len(latest_by_step):
        raise PermissionDenied("One person approved more than one step of this review.")
    approved = revision.as_object()
    if approved.go_live_at or approved.expire_at:
        raise PermissionDenied(
            "Policies cannot be scheduled: clear the go-live and expiry dates and "
            "submit again. A version takes effect when its approval completes."
        )

    token = approved_publish_in_progress.set(True)
    try:
        revision.publish(user=user, skip_permission_checks=True)
    finally:
        approved_publish_in_progress.reset(token)
    page.refresh_from_db()
    version = record_version(approved, revision, workflow_state)
    logger.info("Published policy %s version %s", page.pk, version.label)

    transaction.on_commit(lambda: render_signed_pdf.delay(version.pk))
