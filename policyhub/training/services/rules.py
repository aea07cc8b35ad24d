"""Assignment rules: create, edit and retire them, and assign their members.

Rules are applied by a Celery task after the request commits, because a rule
for everyone or a large group assigns thousands of people. The task may run
twice (a retry, a duplicated message): the unique constraint on person and
module, and the checks below, keep one assignment per person and module.
"""

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ...audit.services import record_event
from ...notifications.services import batches
from ..models import TrainingAssignment, TrainingModulePage, TrainingRule
from ..permissions import is_compliance_admin

logger = logging.getLogger(__name__)

OPEN = TrainingAssignment.Status.OPEN
COMPLETED = TrainingAssignment.Status.COMPLETED
CANCELLED = TrainingAssignment.Status.CANCELLED


def active_rules():
    return TrainingRule.objects.filter(retired_at__isnull=True)


def rule_members(rule):
    """Return the active users a rule applies to."""
    users = get_user_model().objects.filter(is_active=True)
    if rule.target == TrainingRule.Target.GROUP:
        return users.filter(groups=rule.group_id)
    if rule.target == TrainingRule.Target.USER:
        return users.filter(pk=rule.user_id)
    if rule.target == TrainingRule.Target.DEPARTMENT:
        return users.filter(department=rule.department)
    return users


def rules_matching(user, group_ids):
    """Return a filter for the rules whose audience includes ``user``."""
    matching = (
        Q(target=TrainingRule.Target.EVERYONE)
        | Q(target=TrainingRule.Target.GROUP, group_id__in=group_ids)
        | Q(target=TrainingRule.Target.USER, user_id=user.pk)
    )
    if user.department:
        matching |= Q(target=TrainingRule.Target.DEPARTMENT, department=user.department)
    return matching


def covering_rules(module_id, user_ids):
    """Return {user id: rule id} for the users an active rule of the module
    covers; one query per rule."""
    rules = active_rules().filter(module_id=module_id).order_by("pk")
    covered = {}
    for rule in rules:
        members = rule_members(rule).filter(pk__in=user_ids).values_list("pk", flat=True)
        for user_id in members:
            covered.setdefault(user_id, rule.pk)
    return covered


def _save(row, actor, reason, fields=None):
    row._history_user = actor
    row._change_reason = reason[:100]
    row.save(update_fields=fields)


def _reactivate(row_id, rule, due_date, actor):
    """Reopen a cancelled assignment, or make a one-off follow-up recur,
    because ``rule`` now covers the person; return whether it changed."""
    with transaction.atomic():
        row = TrainingAssignment.objects.select_for_update().get(pk=row_id)
        if row.status == CANCELLED:
            row.start_new_cycle(due_date)
        elif row.recurring:
            return False
        row.rule = rule
        row.recurring = True
        _save(row, actor, f"Assigned again by rule {rule.pk}")
    return True


def assign_users(rule, user_ids, due_date, actor):
    """Assign ``rule``'s module to ``user_ids``; return how many were created
    or reopened. People who hold an assignment of the module keep it."""
    existing = {
        row["user_id"]: row
        for row in TrainingAssignment.objects.filter(
            module_id=rule.module_id, user_id__in=user_ids
        ).values("pk", "user_id", "status", "recurring")
    }
    changed = 0
    for user_id in user_ids:
        row = existing.get(user_id)
        if row is not None:
            if row["status"] == CANCELLED or not row["recurring"]:
                changed += _reactivate(row["pk"], rule, due_date, actor)
            continue
        assignment = TrainingAssignment(
            user_id=user_id, module_id=rule.module_id, rule=rule, due_date=due_date
        )
        try:
            with transaction.atomic():
                _save(assignment, actor, f"Assigned by rule {rule.pk}")
        except IntegrityError:
            # Assigned meanwhile by another rule, a retry or a concurrent signal.
            continue
        changed += 1
    return changed


def _validate_audience(target, group, user, department):
    if target == TrainingRule.Target.GROUP and group is None:
        raise ValidationError("Choose the group or role to assign the module to.")
    if target == TrainingRule.Target.USER and user is None:
        raise ValidationError("Choose the person to assign the module to.")
    if target == TrainingRule.Target.DEPARTMENT:
        if not department:
            raise ValidationError("Choose the department to assign the module to.")
        people = get_user_model().objects.filter(is_active=True, department=department)
        if not people.exists():
            raise ValidationError(
                f"No active person is in department {department!r}; check the "
                "department on the people's accounts."
            )


def create_rule(
    actor,
    module,
    target,
    *,
    group=None,
    user=None,
    department="",
    due_date=None,
    due_in_days=14,
    request=None,
):
    """Create an assignment rule and queue the task that assigns its current
    members; return the rule.

    An active rule with the same module and audience is rejected, so a double
    submit creates one rule.
    """
    if not is_compliance_admin(actor):
        raise PermissionDenied("Only compliance administrators can assign training.")
    today = timezone.localdate()
    if due_date is not None and due_date < today:
        raise ValidationError(
            f"Due date {due_date:%d %b %Y} is in the past; choose today or a later date."
        )
    _validate_audience(target, group, user, department)
    with transaction.atomic():
        # Serialises rule creation per module, so the duplicate check holds.
        TrainingModulePage.objects.select_for_update().filter(pk=module.pk).first()
        rule = TrainingRule(
            module=module,
            target=target,
            group=group,
            user=user,
            department=department or "",
            due_date=due_date,
            due_in_days=due_in_days,
            created_by=actor,
        )
        rule.full_clean()
        duplicate = (
            active_rules()
            .filter(
                module=module, target=target, group=group, user=user, department=rule.department
            )
            .first()
        )
        if duplicate is not None:
            raise ValidationError(
                f"Rule {duplicate.pk} already assigns {module.title!r} to "
                f"{duplicate.audience}; edit that rule instead."
            )
        _save(rule, actor, "Rule created")
        record_event(
            "training.rule_created",
            actor=actor,
            obj=rule,
            request=request,
            detail={"module": module.slug, "target": target, "audience": rule.audience[:100]},
        )
        transaction.on_commit(lambda: _queue_run(rule.pk))
    return rule


def edit_rule(actor, rule, *, due_in_days, reason, request=None):
    """Change how many days people assigned later get; return (rule, changed).

    Open assignments keep their due dates: the new value applies to people
    assigned from now on (joiners, movers) and to renewals. Submitting the
    same value again changes nothing.
    """
    if not is_compliance_admin(actor):
        raise PermissionDenied("Only compliance administrators can change training rules.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for the change; it is kept in the rule's history.")
    with transaction.atomic():
        row = TrainingRule.objects.select_for_update().get(pk=rule.pk)
        if row.retired_at is not None:
            raise ValidationError(f"Rule {row.pk} is retired; create a new rule instead.")
        if row.due_in_days == due_in_days:
            return row, False
        previous = row.due_in_days
        row.due_in_days = due_in_days
        _save(
            row,
            actor,
            f"Days to complete {previous} -> {due_in_days}: {reason}",
            fields=["due_in_days"],
        )
        record_event(
            "training.rule_changed",
            actor=actor,
            obj=row,
            request=request,
            detail={
                "due_in_days": {"previous": previous, "new": due_in_days},
                "reason": reason[:200],
            },
        )
    return row, True


def retire_rule(actor, rule, reason, request=None):
    """Retire ``rule`` and queue the release of its assignments; return
    (rule, retired_now).

    The task cancels the open assignments no other active rule covers and
    stops renewal of completed ones; completions and certificates stay. A
    second submit finds the rule retired and changes nothing.
    """
    if not is_compliance_admin(actor):
        raise PermissionDenied("Only compliance administrators can retire training rules.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for retiring the rule; it is kept with the rule.")
    with transaction.atomic():
        row = TrainingRule.objects.select_for_update().get(pk=rule.pk)
        if row.retired_at is not None:
            return row, False
        row.retired_at = timezone.now()
        row.retired_by = actor
        row.retired_reason = reason
        row.run_status = TrainingRule.RunStatus.QUEUED
        row.run_error = ""
        _save(row, actor, f"Retired: {reason}")
        record_event(
            "training.rule_retired",
            actor=actor,
            obj=row,
            request=request,
            detail={
                "module": row.module.slug,
                "audience": row.audience[:100],
                "reason": reason[:200],
            },
        )
        transaction.on_commit(lambda: _queue_run(row.pk))
    return row, True


def _queue_run(rule_id):
    from ..tasks import run_rule_task

    run_rule_task.delay(rule_id)


def _set_run_status(rule_id, status, actor, **fields):
    with transaction.atomic():
        row = TrainingRule.objects.select_for_update().get(pk=rule_id)
        row.run_status = status
        for name, value in fields.items():
            setattr(row, name, value)
        _save(row, actor, f"Run {status}")
    return row


def mark_run_failed(rule_id, actor, error):
    """Show on the rule that its last run failed; the task retries it."""
    logger.warning("Training rule %s run failed: %s", rule_id, error)
    _set_run_status(
        rule_id,
        TrainingRule.RunStatus.FAILED,
        actor,
        run_error=f"{type(error).__name__}: {error}"[:300],
    )


def assign_for_rule(rule, actor, actor_label="training.assign_for_rule"):
    """Assign the rule's module to every member who lacks it, in batches;
    return how many were created or reopened. Safe to run again."""
    rule = _set_run_status(rule.pk, TrainingRule.RunStatus.RUNNING, actor, run_error="")
    due = rule.due_date or timezone.localdate() + timedelta(days=rule.due_in_days)
    user_ids = list(rule_members(rule).order_by("pk").values_list("pk", flat=True))
    changed = 0
    for batch in batches(user_ids):
        changed += assign_users(rule, batch, due, actor)
    _set_run_status(
        rule.pk,
        TrainingRule.RunStatus.DONE,
        actor,
        run_assigned=changed,
        run_finished_at=timezone.now(),
    )
    record_event(
        "training.rule_applied",
        obj=rule,
        system_actor=actor_label,
        detail={"module": rule.module_id, "members": len(user_ids), "assigned": changed},
    )
    return changed


def release_rule(rule, actor, actor_label="training.release_rule"):
    """Release the assignments of a retired rule; return how many were
    cancelled. Safe to run again."""
    rows = TrainingAssignment.objects.filter(rule=rule).exclude(status=CANCELLED).order_by("pk")
    _set_run_status(rule.pk, TrainingRule.RunStatus.RUNNING, actor, run_error="")
    cancelled = 0
    for batch in batches(rows.values_list("pk", flat=True)):
        cancelled += release_assignments(batch, actor, f"Rule {rule.pk} retired", actor_label)
    _set_run_status(
        rule.pk, TrainingRule.RunStatus.DONE, actor, run_assigned=0, run_finished_at=timezone.now()
    )
    record_event(
        "training.rule_released",
        obj=rule,
        system_actor=actor_label,
        detail={"module": rule.module_id, "cancelled": cancelled},
    )
    return cancelled


def release_assignments(assignment_ids, actor, reason, actor_label):
    """Move each assignment to another active rule that covers the person;
    without one, cancel it if open or stop its renewal if completed. Return
    how many were cancelled."""
    rows = list(TrainingAssignment.objects.filter(pk__in=assignment_ids).exclude(status=CANCELLED))
    cancelled = 0
    for module_id in {row.module_id for row in rows}:
        same_module = [row for row in rows if row.module_id == module_id]
        covered = covering_rules(module_id, [row.user_id for row in same_module])
        for row in same_module:
            cancelled += _release_one(row.pk, covered.get(row.user_id), actor, reason, actor_label)
    return cancelled


def _release_one(assignment_id, other_rule_id, actor, reason, actor_label):
    with transaction.atomic():
        row = TrainingAssignment.objects.select_for_update().get(pk=assignment_id)
        if row.status == CANCELLED:
            return 0
        if other_rule_id is not None:
            row.rule_id = other_rule_id
            _save(row, actor, f"{reason}; still required by rule {other_rule_id}")
            return 0
        row.rule = None
        row.recurring = False
        if row.status == COMPLETED:
            _save(row, actor, f"{reason}; completion kept, no renewal")
            return 0
        row.status = CANCELLED
        _save(row, actor, f"{reason}; no longer required")
        record_event(
            "training.assignment_cancelled",
            obj=row,
            system_actor=actor_label,
            detail={"module": row.module_id, "user": row.user_id, "reason": reason[:100]},
        )
    return 1
