"""Actions that move a policy through its approval workflow."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import PolicyPage


def submit_for_approval(page, user, change_summary, change_type=""):
    """Save the page as a new revision and start its approval workflow."""
    if not change_summary.strip():
        raise ValidationError({"change_summary": "Describe what changed."})
    if page.versions.exists() and change_type not in ("major", "minor"):
        raise ValidationError(
            {"change_type": f"{change_type!r} is not a change type; use major or minor."}
        )
    if page.workflow_in_progress:
        raise ValidationError("This policy is already awaiting approval.")
    workflow = page.get_workflow()
    if workflow is None:
        raise ValidationError("No approval workflow is assigned to this policy.")
    with transaction.atomic():
        page.change_summary = change_summary
        page.change_type = change_type
        page.save_revision(user=user, log_action=True)
        return workflow.start(page, user)


def act_on_current_step(page, user, action, comment=""):
    """Approve or reject the current step as ``user``; Wagtail's rules apply."""
    page = PolicyPage.objects.get(pk=page.pk)
    task_state = page.current_workflow_task_state
    if task_state is None:
        raise ValidationError(f"Policy {page.slug!r} is not awaiting approval.")
    task = task_state.task.specific
    if action not in {name for name, _, _ in task.get_actions(page, user)}:
        raise PermissionDenied(
            f"{user} cannot {action} step {task.name!r} of policy {page.slug!r}."
        )
    return task.on_action(task_state.specific, user, action, comment=comment)
