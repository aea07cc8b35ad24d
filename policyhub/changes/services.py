"""State-changing actions on change requests.

Each public function checks permission, runs in a transaction that locks the
change row, saves the change (django-simple-history records it), writes the
audit event ``change.<action>`` and, after commit, queues the notification
task. Views call these functions and hold no rules of their own.
"""

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm
from guardian.shortcuts import assign_perm, remove_perm

from ..audit.models import Outcome
from ..audit.services import record_event
from . import permissions, quorum, roles
from .conflicts import find_conflicts
from .models import (
    CabVote,
    ChangeAttachment,
    ChangeRequest,
    ChangeType,
    State,
    VoteDelegation,
)
from .models.cab import Board, RoundKind, VoteDecision

logger = logging.getLogger(__name__)

# Transitions a person may request through ``transition``; approve and reject
# follow from the votes, in ``cast_vote``.
USER_TRANSITIONS = {
    "submit": "submitted",
    "assess": "taken into assessment",
    "send_to_cab": "sent to the CAB",
    "request_information": "returned for more information",
    "schedule": "scheduled",
    "start": "started",
    "complete": "completed",
    "fail": "marked as failed",
    "roll_back": "rolled back",
    "begin_review": "put into post-implementation review",
    "close": "closed",
    "cancel": "cancelled",
}


class ChangeError(Exception):
    """An action that the change's state or data does not allow; nothing changed."""


def _locked(change):
    return ChangeRequest.objects.select_for_update().get(pk=change.pk)


def _save(change, user, reason):
    change._history_user = user
    change._change_reason = reason
    change.save()


def _notify_after_commit(change, action, event, actor_label):
    from .tasks import notify_change_event

    transaction.on_commit(
        partial(notify_change_event.delay, change.pk, action, event.pk, actor_label)
    )


def _deny(user, change, action, request, message):
    logger.warning("User %s was denied %s on change %s", user.pk, action, change.pk)
    record_event(
        f"change.{action}", actor=user, obj=change, request=request,
        outcome=Outcome.DENIED, detail={"state": change.state},
    )
    raise PermissionDenied(message)


def _grant_object_permissions(change, user):
    assign_perm(permissions.VIEW_PERMISSION, user, change)


@transaction.atomic
def create_change(user, fields, systems, policy_versions=(), request=None):
    """Create a draft change requested by ``user``; return it.

    A standard change takes its plans, category and ratings from its
    template, so it follows the procedure that the CAB approved as a class.
    """
    if not roles.may_request_changes(user):
        raise PermissionDenied("Only employees and board members may request changes.")
    template = fields.get("template")
    if fields.get("change_type") == ChangeType.STANDARD:
        if template is None:
            raise ChangeError("A standard change needs a template from the catalogue; choose one.")
        fields = {**fields, **_template_fields(template)}
        systems = list(systems) or list(template.systems.all())
    change = ChangeRequest(requester=user, **fields)
    _check_implementer(change, change.implementer)
    _save(change, user, "create")
    change.systems.set(systems)
    change.policy_versions.set(policy_versions)
    _grant_object_permissions(change, user)
    assign_perm(permissions.EDIT_PERMISSION, user, change)
    if change.implementer_id:
        _grant_object_permissions(change, change.implementer)
    record_event("change.create", actor=user, obj=change, request=request,
                 detail={"type": change.change_type, "risk": change.risk})
    return change


def _template_fields(template):
    return {
        "category": template.category,
        "impact": template.impact,
        "likelihood": template.likelihood,
        "implementation_plan": template.implementation_plan,
        "rollback_plan": template.rollback_plan,
        "test_plan": template.test_plan,
    }


def ensure_editable_by(change, user, request=None):
    """Raise PermissionDenied, after auditing the denial, unless ``user`` may edit ``change``."""
    if not permissions.can_edit(change, user):
        _deny(user, change, "update", request,
              f"{change.reference} can be edited only by its requester while it is a draft "
              "or returned for more information.")


def update_change(change, user, fields, systems, policy_versions=(), request=None):
    """Save the requester's edits to a draft or returned change."""
    ensure_editable_by(change, user, request)
    with transaction.atomic():
        return _update_locked(change, user, fields, systems, policy_versions, request)


def _update_locked(change, user, fields, systems, policy_versions, request):
    change = _locked(change)
    if not permissions.can_edit(change, user):
        raise ChangeError(f"{change.reference} changed state meanwhile; reload it.")
    previous_implementer = change.implementer
    for name, value in fields.items():
        setattr(change, name, value)
    _check_implementer(change, change.implementer)
    _save(change, user, "update")
    change.systems.set(systems)
    change.policy_versions.set(policy_versions)
    _move_implementer_permission(change, previous_implementer)
    record_event("change.update", actor=user, obj=change, request=request,
                 detail={"risk": change.risk})
    return change


def _move_implementer_permission(change, previous):
    if previous is not None and previous.pk not in (change.implementer_id, change.requester_id):
        remove_perm(permissions.VIEW_PERMISSION, previous, change)
    if change.implementer_id:
        _grant_object_permissions(change, change.implementer)


def approver_ids(change):
    """Return the ids of everyone who approved ``change``, as member or delegate."""
    votes = change.votes.filter(decision=VoteDecision.APPROVE, kind=RoundKind.APPROVAL)
    return set(votes.values_list("member_id", flat=True)) | set(
        votes.values_list("cast_by_id", flat=True)
    )


def _check_implementer(change, implementer):
    if implementer is None or change.pk is None:
        return
    if implementer.pk in approver_ids(change):
        raise ChangeError(
            f"{implementer} approved {change.reference}, so cannot implement it; "
            "choose an implementer who did not approve the change."
        )


def assign_implementer(change, user, implementer, request=None):
    """Let a change manager name the implementer before work starts."""
    if not permissions.is_change_manager(change, user) or user.pk == implementer.pk:
        _deny(user, change, "assign_implementer", request,
              "Only an independent CAB member may assign the implementer.")
    with transaction.atomic():
        return _assign_locked(change, user, implementer, request)


def _assign_locked(change, user, implementer, request):
    change = _locked(change)
    if change.state not in (State.DRAFT, State.SUBMITTED, State.ASSESSMENT,
                            State.CAB_REVIEW, State.MORE_INFORMATION, State.APPROVED):
        raise ChangeError(
            f"{change.reference} is {change.get_state_display()}; the implementer can be "
            "changed only before the change is scheduled."
        )
    _check_implementer(change, implementer)
    previous = change.implementer
    change.implementer = implementer
    _save(change, user, "assign_implementer")
    _move_implementer_permission(change, previous)
    record_event("change.assign_implementer", actor=user, obj=change, request=request,
                 detail={"implementer": f"user:{implementer.pk}"})
    return change


def transition(change, action, user, request=None, **arguments):
    """Run the transition ``action`` on ``change`` as ``user``; return the change.

    Raise PermissionDenied when ``user`` may not take the step (and record the
    refusal in the audit trail) and ChangeError when the change's state or data
    does not allow it. In both cases nothing is saved.
    """
    if action not in USER_TRANSITIONS:
        raise ChangeError(f"Unknown action {action!r}; use one of {', '.join(USER_TRANSITIONS)}.")
    try:
        with transaction.atomic():
            change = _locked(change)
            method = getattr(change, action)
            source = change.state
            _check_allowed(change, action, method, user)
            _before(change, action, arguments)
            method(**arguments)
            _save(change, user, action)
            event = record_event(
                f"change.{action}", actor=user, obj=change, request=request,
                detail={"from": source, "to": change.state, "round": change.review_round},
            )
            _notify_after_commit(change, action, event, f"user:{user.pk}")
    except PermissionDenied as denied:
        _deny(user, change, action, request, str(denied))
    logger.info("Change %s %s by user %s", change.pk, action, user.pk)
    return change


def _check_allowed(change, action, method, user):
    verb = USER_TRANSITIONS[action]
    if not can_proceed(method, check_conditions=False):
        raise ChangeError(
            f"{change.reference} is {change.get_state_display()}, so it cannot be {verb}."
        )
    if not can_proceed(method):
        raise ChangeError(_unmet_condition(change, action))
    if not has_transition_perm(method, user):
        raise PermissionDenied(_who_may(change, action))


def _unmet_condition(change, action):
    if action == "schedule" and change.implementer_id is None:
        return f"{change.reference} has no implementer; assign one before scheduling it."
    if action == "close":
        return (
            f"{change.reference} is an emergency change whose retrospective CAB review "
            "is not finished; the CAB must vote on it before it can be closed."
        )
    return (
        f"{change.reference} is a {change.get_change_type_display().lower()} change, "
        f"which cannot be {USER_TRANSITIONS[action]} from {change.get_state_display()}."
    )


def _who_may(change, action):
    if action == "submit":
        return f"Only the requester may submit {change.reference}."
    if action in ("start", "complete", "fail", "roll_back"):
        return f"Only the implementer of {change.reference} may do this."
    return (
        f"Only a CAB member who is neither the requester nor the implementer of "
        f"{change.reference} may do this."
    )


def _before(change, action, arguments):
    """Check the data a transition needs and refresh the conflict flags."""
    if action == "submit":
        if not change.systems.exists():
            raise ChangeError(f"{change.reference} names no affected system; add one and submit again.")
        change.conflict_summary = find_conflicts(change).summary()
    elif action == "schedule":
        conflicts = find_conflicts(change)
        if conflicts.blackouts and change.change_type != ChangeType.EMERGENCY:
            raise ChangeError(
                f"{change.reference} falls in the blackout period {conflicts.blackouts[0]}, "
                "when only emergency changes may be scheduled. Return it for more "
                "information so that the requester can move the planned dates."
            )
        if change.implementer_id in approver_ids(change):
            raise ChangeError(
                f"The implementer of {change.reference} approved it; assign another implementer."
            )
        change.conflict_summary = conflicts.summary()
    elif action == "close":
        code, notes = arguments.get("code", ""), (arguments.get("notes") or "").strip()
        if not code or not notes:
            raise ChangeError(f"Closing {change.reference} needs a close code and closing notes.")
        arguments["notes"] = notes


def round_kind(change):
    """Return (kind, board) of the review round open on ``change``, or None."""
    if change.state == State.CAB_REVIEW:
        board = Board.EMERGENCY_CAB if change.change_type == ChangeType.EMERGENCY else Board.CAB
        return RoundKind.APPROVAL, board
    if (
        change.state == State.REVIEW
        and change.change_type == ChangeType.EMERGENCY
        and not change.retrospective_outcome
    ):
        return RoundKind.RETROSPECTIVE, Board.CAB
    return None


def mandatory_approvers(change):
    """Return the users who must approve ``change`` because of its risk level."""
    if change.risk not in settings.CHANGES_MANDATORY_APPROVAL_RISK_LEVELS:
        return get_user_model().objects.none()
    query = Q(pk__in=[])
    if settings.CHANGES_MANDATORY_APPROVER_GROUP:
        query |= Q(groups__name=settings.CHANGES_MANDATORY_APPROVER_GROUP)
    if settings.CHANGES_MANDATORY_APPROVER_USERNAMES:
        query |= Q(username__in=settings.CHANGES_MANDATORY_APPROVER_USERNAMES)
    return get_user_model().objects.filter(query, is_active=True).distinct()


def eligible_voters(change, board):
    """Return the users whose vote counts: the board's active members and the
    mandatory approvers, less the requester and the implementer."""
    users = get_user_model().objects.filter(
        Q(groups__name=board) | Q(pk__in=mandatory_approvers(change).values("pk")),
        is_active=True,
    )
    excluded = [pk for pk in (change.requester_id, change.implementer_id) if pk]
    return users.exclude(pk__in=excluded).distinct().order_by("last_name", "first_name")


def active_delegation(member, delegate, day=None):
    day = day or timezone.localdate()
    return VoteDelegation.objects.filter(
        member=member, delegate=delegate, starts_on__lte=day, ends_on__gte=day
    ).exists()


def members_for(user, change, day=None):
    """Return the eligible members ``user`` may vote for on ``change`` today:
    themselves and anyone who delegated to them, minus votes already cast."""
    current = round_kind(change)
    if current is None or not permissions.is_independent(change, user):
        return []
    day = day or timezone.localdate()
    eligible = eligible_voters(change, current[1])
    delegators = VoteDelegation.objects.filter(
        delegate=user, starts_on__lte=day, ends_on__gte=day
    ).values("member_id")
    candidates = eligible.filter(Q(pk=user.pk) | Q(pk__in=delegators))
    voted = change.votes.filter(round=change.review_round).values("member_id")
    return list(candidates.exclude(pk__in=voted))


def cast_vote(change, user, decision, comment, member=None, request=None):
    """Record ``user``'s vote (or their vote for ``member`` as delegate).

    Return (vote, created). A second submission for the same member and
    round returns the existing vote unchanged. When the votes decide the
    round, the change is approved or rejected in the same transaction.
    """
    member = member or user
    comment = (comment or "").strip()
    if decision not in VoteDecision.values:
        raise ChangeError(f"Invalid vote {decision!r}; vote approve or reject.")
    if not comment:
        raise ChangeError("A vote needs a comment that gives the reason; add one.")
    try:
        with transaction.atomic():
            change = _locked(change)
            existing = change.votes.filter(round=change.review_round, member=member).first()
            if existing is not None:
                return existing, False
            kind, board = _open_round(change)
            _check_voter(change, user, member, board)
            vote = CabVote.objects.create(
                change=change, round=change.review_round, kind=kind, board=board,
                member=member, cast_by=user, decision=decision, comment=comment,
            )
            record_event(
                "change.vote", actor=user, obj=change, request=request,
                detail={"round": vote.round, "kind": kind, "decision": decision,
                        "member": f"user:{member.pk}", "cast_by": f"user:{user.pk}"},
            )
            _apply_decision(change, kind, board, user, request)
    except PermissionDenied as denied:
        _deny(user, change, "vote", request, str(denied))
    except IntegrityError:
        # A concurrent submission for the same member won the race.
        return CabVote.objects.get(change=change, round=change.review_round, member=member), False
    return vote, True


def _open_round(change):
    current = round_kind(change)
    if current is None:
        raise ChangeError(
            f"{change.reference} is {change.get_state_display()}; no CAB vote is open on it."
        )
    return current


def _check_voter(change, user, member, board):
    involved = (change.requester_id, change.implementer_id)
    if user.pk in involved or member.pk in involved:
        raise PermissionDenied(
            f"The requester and the implementer of {change.reference} cannot vote on it."
        )
    if not eligible_voters(change, board).filter(pk=member.pk).exists():
        raise PermissionDenied(f"{member} is not a voting member of the {board} for this change.")
    if member.pk != user.pk and not active_delegation(member, user):
        raise PermissionDenied(f"You hold no delegation to vote for {member} today.")


def tally(change, board):
    """Return the quorum outcome of the open round of ``change``."""
    votes = change.votes.filter(round=change.review_round)
    eligible = set(eligible_voters(change, board).values_list("pk", flat=True))
    return quorum.decide(
        quorum.configured_rule(),
        eligible,
        votes.filter(decision=VoteDecision.APPROVE).values_list("member_id", flat=True),
        votes.filter(decision=VoteDecision.REJECT).values_list("member_id", flat=True),
        set(mandatory_approvers(change).values_list("pk", flat=True)) & eligible,
    )


def _apply_decision(change, kind, board, user, request):
    outcome = tally(change, board)
    if outcome == quorum.PENDING:
        return
    source = change.state
    if kind == RoundKind.APPROVAL:
        action = "approve" if outcome == quorum.APPROVED else "reject"
        getattr(change, action)()
    else:
        action = f"retrospective_{'approve' if outcome == quorum.APPROVED else 'reject'}"
        change.retrospective_outcome = outcome
        change.retrospective_completed_at = timezone.now()
    _save(change, user, action)
    event = record_event(
        f"change.{action}", actor=user, obj=change, request=request,
        detail={"from": source, "to": change.state, "round": change.review_round,
                "board": board, "decided_by": "quorum"},
    )
    _notify_after_commit(change, action, event, f"user:{user.pk}")


def add_attachment(change, user, upload, content_type, sha256, description="", request=None):
    """Attach a checked file to ``change``; the requester, implementer and
    change managers may attach until the change is closed or cancelled."""
    if not permissions.is_involved_or_change_manager(change, user):
        _deny(user, change, "attach", request,
              f"Only the requester, the implementer or a CAB member may attach files to "
              f"{change.reference}.")
    with transaction.atomic():
        return _attach_locked(change, user, upload, content_type, sha256, description, request)


def _attach_locked(change, user, upload, content_type, sha256, description, request):
    change = _locked(change)
    if change.state in (State.CLOSED, State.CANCELLED):
        raise ChangeError(f"{change.reference} is {change.get_state_display()}; attach nothing more.")
    attachment = ChangeAttachment(
        change=change, original_name=upload.name[:255], size=upload.size, sha256=sha256,
        content_type=content_type, description=description, uploaded_by=user,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment._history_user = user
    attachment.save()
    record_event("change.attach", actor=user, obj=change, request=request,
                 detail={"attachment": attachment.pk, "sha256": sha256, "size": upload.size})
    return attachment
