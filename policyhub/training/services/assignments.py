"""Assigning joiners and movers, renewing lapsed completions, extensions and
the acknowledgement gate."""

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ...attestations.system import system_user
from ...audit.services import record_event
from ..models import DueDateExtension, TrainingAssignment, TrainingModulePolicy, TrainingRule
from ..permissions import can_manage
from .rules import active_rules, assign_users, release_assignments, rules_matching
from .suspensions import lift_if_cleared

logger = logging.getLogger(__name__)


class TrainingRequired(PermissionDenied):
    """The policy can be acknowledged only after the named modules are completed."""

    def __init__(self, policy, modules):
        self.policy = policy
        self.modules = list(modules)
        titles = ", ".join(repr(module.title) for module in self.modules)
        noun = "module" if len(self.modules) == 1 else "modules"
        super().__init__(
            f"Complete the training {noun} {titles} before you acknowledge "
            f"{policy.title!r}; it is listed under My training."
        )


def assign_new_member(user, actor=None):
    """Assign every module whose active rules now include ``user``; return
    how many were created or reopened.

    New joiners, new group members and people who moved department get
    ``due_in_days`` from today.
    """
    if not user.is_active:
        return 0
    actor = actor or system_user()
    group_ids = list(user.groups.values_list("pk", flat=True))
    rules = active_rules().filter(rules_matching(user, group_ids), module__live=True).order_by("pk")
    created = 0
    today = timezone.localdate()
    for rule in rules:
        due = today + timedelta(days=rule.due_in_days)
        created += assign_users(rule, [user.pk], due, actor)
    if created:
        record_event(
            "training.assigned", obj=user, system_actor="training.assign_new_member",
            detail={"assignments": created},
        )
    return created


def move_department(user, previous_department, actor, actor_label):
    """Apply a department change: assign the new department's modules and
    release the previous department's open ones that no other rule covers.
    Return (assigned, cancelled)."""
    assigned = assign_new_member(user, actor)
    left_behind = TrainingAssignment.objects.filter(
        user=user, status=TrainingAssignment.Status.OPEN,
        rule__target=TrainingRule.Target.DEPARTMENT, rule__department=previous_department,
    ).values_list("pk", flat=True)
    cancelled = release_assignments(
        list(left_behind), actor, f"Moved from department {previous_department}", actor_label
    )
    return assigned, cancelled


def reopen_lapsed(today, actor):
    """Reopen completed assignments whose validity ended before ``today``.

    Each reopened row starts the next cycle with a new due date; the earlier
    completions stay. Return the number reopened.
    """
    lapsed = (
        TrainingAssignment.objects.filter(
            status=TrainingAssignment.Status.COMPLETED, valid_until__lt=today, recurring=True
        )
        .select_related("rule")
        .order_by("pk")
    )
    reopened = 0
    for assignment in lapsed:
        due_in = assignment.rule.due_in_days if assignment.rule else 14
        with transaction.atomic():
            row = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
            if row.status != TrainingAssignment.Status.COMPLETED or row.valid_until >= today:
                continue
            row.status = TrainingAssignment.Status.OPEN
            row.cycle += 1
            row.due_date = today + timedelta(days=due_in)
            row.attempts_exhausted_at = None
            row.extra_attempts = 0
            row._history_user = actor
            row._change_reason = "Completion expired; training due again"
            row.save()
            record_event(
                "training.reopened", obj=row, system_actor="training.reopen_lapsed",
                detail={"module": row.module_id, "user": row.user_id, "cycle": row.cycle},
            )
        reopened += 1
    return reopened


def grant_extension(actor, assignment, new_due_date, reason, request=None):
    """Move ``assignment``'s due date to ``new_due_date`` and record why."""
    if not can_manage(actor, assignment):
        raise PermissionDenied(
            "Only the person's line manager or a compliance administrator can extend training."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for the extension; it is kept with the record.")
    with transaction.atomic():
        row = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
        if row.status != TrainingAssignment.Status.OPEN:
            raise ValidationError("This training is completed; there is no due date to extend.")
        if new_due_date <= row.due_date:
            raise ValidationError(
                f"New due date {new_due_date:%d %b %Y} is not after the current one "
                f"({row.due_date:%d %b %Y}); choose a later date."
            )
        extension = DueDateExtension.objects.create(
            assignment=row, cycle=row.cycle, previous_due_date=row.due_date,
            new_due_date=new_due_date, reason=reason, granted_by=actor,
        )
        row.due_date = new_due_date
        row._history_user = actor
        row._change_reason = f"Due date extended: {reason}"[:100]
        row.save(update_fields=["due_date"])
        record_event(
            "training.extension_granted", actor=actor, obj=row, request=request,
            detail={"previous": extension.previous_due_date.isoformat(),
                    "new": new_due_date.isoformat(), "cycle": row.cycle},
        )
        lift_if_cleared(row.user_id, timezone.localdate(),
                        f"Due date of {row.module.title} extended.", actor, "")
    return extension


def require_training_for_acknowledgement(user, policy):
    """Raise TrainingRequired unless ``user`` has a valid completion of every
    module that ``policy`` requires before acknowledgement."""
    required = list(
        TrainingModulePolicy.objects.filter(
            policy_id=policy.pk, required_for_acknowledgement=True, module__live=True
        ).select_related("module")
    )
    if not required:
        return
    today = timezone.localdate()
    satisfied = set(
        TrainingAssignment.objects.filter(
            user_id=user.pk,
            module_id__in=[link.module_id for link in required],
            completions__valid_until__gte=today,
        ).values_list("module_id", flat=True)
    )
    missing = [link.module for link in required if link.module_id not in satisfied]
    if missing:
        raise TrainingRequired(policy, missing)


def grant_extra_attempt(actor, assignment, reason, request=None):
    """Allow one more quiz attempt in the current cycle and clear the flag."""
    if not can_manage(actor, assignment):
        raise PermissionDenied(
            "Only the person's line manager or a compliance administrator can grant attempts."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for the extra attempt; it is kept with the record.")
    with transaction.atomic():
        row = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
        if row.status != TrainingAssignment.Status.OPEN:
            raise ValidationError("This training is completed; no attempt is needed.")
        row.extra_attempts += 1
        row.attempts_exhausted_at = None
        row._history_user = actor
        row._change_reason = f"Extra attempt: {reason}"[:100]
        row.save(update_fields=["extra_attempts", "attempts_exhausted_at"])
        record_event(
            "training.attempt_granted", actor=actor, obj=row, request=request,
            detail={"cycle": row.cycle, "attempts_allowed": row.attempts_allowed},
        )
    return row
