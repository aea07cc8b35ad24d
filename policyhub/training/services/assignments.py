"""Assigning modules, renewing lapsed completions, extensions and the
acknowledgement gate."""

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ...audit.services import record_event
from ..models import DueDateExtension, TrainingAssignment, TrainingModulePolicy, TrainingRule
from ..permissions import can_manage, is_compliance_admin

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


def rule_members(rule):
    """Return the active users a rule applies to."""
    users = get_user_model().objects.filter(is_active=True)
    if rule.target == TrainingRule.Target.GROUP:
        return users.filter(groups=rule.group_id)
    if rule.target == TrainingRule.Target.USER:
        return users.filter(pk=rule.user_id)
    return users


def _create_missing(rule, user_ids, due_date):
    existing = set(
        TrainingAssignment.objects.filter(module_id=rule.module_id, user_id__in=user_ids)
        .values_list("user_id", flat=True)
    )
    created = []
    for user_id in user_ids:
        if user_id in existing:
            continue
        try:
            with transaction.atomic():
                created.append(TrainingAssignment.objects.create(
                    user_id=user_id, module_id=rule.module_id, rule=rule, due_date=due_date
                ))
        except IntegrityError:
            # Assigned meanwhile by another rule or a concurrent signal.
            continue
    return created


def create_rule(actor, module, target, *, group=None, user=None, due_date=None,
                due_in_days=14, request=None):
    """Create an assignment rule and assign its current members; return the rule."""
    if not is_compliance_admin(actor):
        raise PermissionDenied("Only compliance administrators can assign training.")
    today = timezone.localdate()
    if due_date is not None and due_date < today:
        raise ValidationError(
            f"Due date {due_date:%d %b %Y} is in the past; choose today or a later date."
        )
    with transaction.atomic():
        rule = TrainingRule(module=module, target=target, group=group, user=user,
                            due_date=due_date, due_in_days=due_in_days, created_by=actor)
        rule.full_clean()
        rule.save()
        created = assign_for_rule(rule)
        record_event(
            "training.rule_created", actor=actor, obj=rule, request=request,
            detail={"module": module.slug, "target": target, "assigned": created},
        )
    return rule


def assign_for_rule(rule):
    """Assign the rule's module to every member who lacks it; return how many.

    NOTE: runs inline with one INSERT per new assignment, so a rule for every
    person in a large organisation makes a slow request; no batching task yet.
    """
    due = rule.due_date or timezone.localdate() + timedelta(days=rule.due_in_days)
    user_ids = list(rule_members(rule).values_list("pk", flat=True))
    return len(_create_missing(rule, user_ids, due))


def assign_new_member(user):
    """Assign every module whose rules now include ``user``; return how many.

    New joiners and new group members get ``due_in_days`` from today.
    """
    if not user.is_active:
        return 0
    group_ids = list(user.groups.values_list("pk", flat=True))
    rules = TrainingRule.objects.filter(
        _rules_matching(user.pk, group_ids), module__live=True
    ).order_by("pk")
    created = 0
    today = timezone.localdate()
    for rule in rules:
        created += len(_create_missing(rule, [user.pk], today + timedelta(days=rule.due_in_days)))
    if created:
        record_event(
            "training.assigned", obj=user, system_actor="training.assign_new_member",
            detail={"assignments": created},
        )
    return created


def _rules_matching(user_id, group_ids):
    return (
        Q(target=TrainingRule.Target.EVERYONE)
        | Q(target=TrainingRule.Target.GROUP, group_id__in=group_ids)
        | Q(target=TrainingRule.Target.USER, user_id=user_id)
    )


def reopen_lapsed(today, actor):
    """Reopen completed assignments whose validity ended before ``today``.

    Each reopened row starts the next cycle with a new due date; the earlier
    completions stay. Return the number reopened.
    """
    lapsed = (
        TrainingAssignment.objects.filter(
            status=TrainingAssignment.Status.COMPLETED, valid_until__lt=today
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
