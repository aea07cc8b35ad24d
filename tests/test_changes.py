"""Change requests: life cycle, CAB quorum, separation of duties, emergency
changes, calendar conflicts, history and audit entries."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from policyhub.audit.models import AuditEvent
from policyhub.changes import quorum, services
from policyhub.changes.models import (
    BlackoutPeriod,
    CabVote,
    ChangeRequest,
    ChangeType,
    State,
    VoteDelegation,
)
from policyhub.changes.risk import risk_level
from policyhub.changes.services import ChangeError

from .test_changes_support import approve_by_majority, in_days, new_change, to_cab_review

pytest_plugins = ["tests.test_changes_support"]

pytestmark = pytest.mark.django_db


def audit_actions(change):
    return list(
        AuditEvent.objects.filter(object_type="changes.changerequest", object_id=str(change.pk))
        .order_by("id").values_list("action", "outcome")
    )


def history_reasons(change):
    return list(change.history.order_by("history_date", "history_id")
                .values_list("history_change_reason", "state"))


# Risk matrix


@pytest.mark.parametrize(
    ("impact", "likelihood", "expected"),
    [("low", "low", "low"), ("medium", "high", "high"), ("high", "high", "critical"),
     ("high", "low", "medium")],
)
def test_risk_level_follows_matrix(impact, likelihood, expected):
    assert risk_level(impact, likelihood) == expected


def test_risk_level_rejects_unknown_rating():
    with pytest.raises(ValueError, match="Invalid impact 'severe'"):
        risk_level("severe", "low")
    with pytest.raises(ValueError, match="no level for impact 'low'"):
        risk_level("low", "low", matrix={"high": {}})


def test_risk_level_uses_configured_matrix(settings):
    settings.CHANGES_RISK_MATRIX = {
        rating: {other: "critical" for other in ("low", "medium", "high")}
        for rating in ("low", "medium", "high")
    }
    assert risk_level("low", "low") == "critical"


# Quorum rule

ELIGIBLE = {1, 2, 3, 4}


@pytest.mark.parametrize(
    ("rule", "approvals", "rejections", "mandatory", "expected"),
    [
        (quorum.QuorumRule("all"), {1, 2, 3}, set(), set(), quorum.PENDING),
        (quorum.QuorumRule("all"), {1, 2, 3, 4}, set(), set(), quorum.APPROVED),
        (quorum.QuorumRule("all"), {1, 2, 3}, {4}, set(), quorum.REJECTED),
        (quorum.QuorumRule("majority"), {1, 2}, set(), set(), quorum.PENDING),
        (quorum.QuorumRule("majority"), {1, 2, 3}, set(), set(), quorum.APPROVED),
        (quorum.QuorumRule("majority"), {1}, {2, 3}, set(), quorum.REJECTED),
        (quorum.QuorumRule("percentage", 50), {1, 2}, set(), set(), quorum.APPROVED),
        (quorum.QuorumRule("percentage", 75), {1, 2}, set(), set(), quorum.PENDING),
        (quorum.QuorumRule("percentage", 75), {1, 2}, {3, 4}, set(), quorum.REJECTED),
        (quorum.QuorumRule("majority"), {1, 2, 3}, set(), {4}, quorum.PENDING),
        (quorum.QuorumRule("majority"), {1, 2, 3, 4}, set(), {4}, quorum.APPROVED),
        (quorum.QuorumRule("majority"), {1, 2, 3}, {4}, {4}, quorum.REJECTED),
        (quorum.QuorumRule("majority"), {9, 10, 11}, set(), set(), quorum.PENDING),
    ],
)
def test_quorum_rule_table(rule, approvals, rejections, mandatory, expected):
    assert quorum.decide(rule, ELIGIBLE, approvals, rejections, mandatory) == expected


def test_quorum_without_voters_stays_pending():
    assert quorum.decide(quorum.QuorumRule("all"), set(), set(), set()) == quorum.PENDING


def test_invalid_quorum_setting_is_named(settings):
    settings.CHANGES_QUORUM_RULE = "unanimous"
    with pytest.raises(ValueError, match="Invalid CHANGES_QUORUM_RULE 'unanimous'"):
        quorum.configured_rule()


# Normal path, history and audit


def test_normal_change_full_life_cycle(board, systems):
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    assert change.state == State.DRAFT
    assert change.risk == "medium"
    change = to_cab_review(change, board)
    assert change.state == State.CAB_REVIEW
    assert change.review_round == 1

    change = approve_by_majority(change, board)
    assert change.state == State.APPROVED
    for action, user in [
        ("schedule", "cab3"), ("start", "implementer"), ("complete", "implementer"),
        ("begin_review", "requester"),
    ]:
        change = services.transition(change, action, board[user])
    change = services.transition(change, "close", board["cab3"], code="successful",
                                 notes="Upgrade done; smoke tests passed.")
    assert change.state == State.CLOSED
    assert change.close_code == "successful"
    assert change.closed_at is not None
    assert change.implemented_at is not None

    expected = ["change.create", "change.submit", "change.assess", "change.send_to_cab",
                "change.vote", "change.vote", "change.approve", "change.schedule",
                "change.start", "change.complete", "change.begin_review", "change.close"]
    assert [action for action, _ in audit_actions(change)] == expected
    reasons = [reason for reason, _ in history_reasons(change)]
    # Setting the systems on creation saves a second "create" record with them.
    assert reasons[0] == "create"
    assert [reason for reason in reasons if reason != "create"] == ["submit", "assess", "send_to_cab", "approve", "schedule",
                       "start", "complete", "begin_review", "close"]
    states = [state for _, state in history_reasons(change)]
    assert states[-1] == State.CLOSED
    last = change.history.latest()
    assert last.history_user == board["cab3"]
    assert CabVote.history.count() == 2


def test_each_transition_names_actor_in_history(board, systems):
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    change = services.transition(change, "submit", board["requester"])
    record = change.history.latest()
    assert record.history_user == board["requester"]
    assert record.history_change_reason == "submit"
    event = AuditEvent.objects.get(action="change.submit")
    assert event.actor == board["requester"]
    assert event.detail == {"from": "draft", "to": "submitted", "round": 0}


DENIED_TRANSITIONS = [
    # (action, state to reach first, persona who is refused)
    ("submit", State.DRAFT, "cab1"),
    ("submit", State.DRAFT, "implementer"),
    ("assess", State.SUBMITTED, "requester"),
    ("assess", State.SUBMITTED, "auditor"),
    ("send_to_cab", State.ASSESSMENT, "requester"),
    ("send_to_cab", State.ASSESSMENT, "implementer"),
    ("request_information", State.ASSESSMENT, "outsider"),
    ("schedule", State.APPROVED, "requester"),
    ("start", State.SCHEDULED, "requester"),
    ("start", State.SCHEDULED, "cab1"),
    ("complete", State.IN_PROGRESS, "cab1"),
    ("fail", State.IN_PROGRESS, "requester"),
    ("roll_back", State.IN_PROGRESS, "cab2"),
    ("begin_review", State.IMPLEMENTED, "outsider"),
    ("cancel", State.SUBMITTED, "implementer"),
    ("cancel", State.SUBMITTED, "outsider"),
]

PATH = [
    (State.SUBMITTED, "submit", "requester"),
    (State.ASSESSMENT, "assess", "cab1"),
    (State.CAB_REVIEW, "send_to_cab", "cab1"),
    (State.APPROVED, None, None),
    (State.SCHEDULED, "schedule", "cab3"),
    (State.IN_PROGRESS, "start", "implementer"),
    (State.IMPLEMENTED, "complete", "implementer"),
]


def reach(state, board, systems):
    """Return a normal change carried along the happy path up to ``state``."""
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    for target, action, persona in PATH:
        if change.state == state:
            break
        if action is None:
            change = approve_by_majority(change, board)
        else:
            change = services.transition(change, action, board[persona])
        assert change.state == target
    assert change.state == state
    return change


@pytest.mark.parametrize(("action", "state", "persona"), DENIED_TRANSITIONS,
                         ids=[f"{a}-{p}" for a, _, p in DENIED_TRANSITIONS])
def test_transition_refused_for_role(board, systems, action, state, persona):
    change = reach(state, board, systems)
    history_before = change.history.count()
    with pytest.raises(PermissionDenied):
        services.transition(change, action, board[persona])
    change.refresh_from_db()
    assert change.state == state
    assert change.history.count() == history_before
    assert audit_actions(change)[-1] == (f"change.{action}", "denied")


ALLOWED = [
    ("request_information", State.ASSESSMENT, "cab2", State.MORE_INFORMATION),
    ("request_information", State.CAB_REVIEW, "cab2", State.MORE_INFORMATION),
    ("request_information", State.APPROVED, "cab2", State.MORE_INFORMATION),
    ("cancel", State.SUBMITTED, "requester", State.CANCELLED),
    ("cancel", State.SCHEDULED, "cab2", State.CANCELLED),
    ("fail", State.IN_PROGRESS, "implementer", State.FAILED),
    ("roll_back", State.IN_PROGRESS, "implementer", State.ROLLED_BACK),
    ("begin_review", State.IMPLEMENTED, "implementer", State.REVIEW),
]


@pytest.mark.parametrize(("action", "state", "persona", "target"), ALLOWED,
                         ids=[f"{a}-{p}" for a, _, p, _ in ALLOWED])
def test_transition_allowed_for_role(board, systems, action, state, persona, target):
    change = reach(state, board, systems)
    change = services.transition(change, action, board[persona])
    assert change.state == target
    assert audit_actions(change)[-1] == (f"change.{action}", "success")
    assert change.history.latest().history_change_reason == action


def test_invalid_transition_changes_nothing(board, systems):
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    history_before = change.history.count()
    with pytest.raises(ChangeError, match=r"CHG-\d{6} is Draft, so it cannot be started"):
        services.transition(change, "start", board["implementer"])
    change.refresh_from_db()
    assert change.state == State.DRAFT
    assert change.history.count() == history_before
    with pytest.raises(ChangeError, match="Unknown action 'approve'"):
        services.transition(change, "approve", board["cab1"])


def test_cancel_refused_after_work_starts(board, systems):
    change = reach(State.IN_PROGRESS, board, systems)
    with pytest.raises(ChangeError, match="In progress, so it cannot be cancelled"):
        services.transition(change, "cancel", board["requester"])


def test_returned_change_resubmits_for_new_round(board, systems):
    change = reach(State.CAB_REVIEW, board, systems)
    change = services.transition(change, "request_information", board["cab2"])
    services.update_change(change, board["requester"], {"test_plan": "Run the full suite."},
                           [systems["core"]])
    change = services.transition(change, "submit", board["requester"])
    change = services.transition(change, "assess", board["cab1"])
    change = services.transition(change, "send_to_cab", board["cab1"])
    assert change.review_round == 2
    assert change.test_plan == "Run the full suite."


def test_edit_refused_after_submission(board, systems):
    change = reach(State.SUBMITTED, board, systems)
    with pytest.raises(PermissionDenied):
        services.update_change(change, board["requester"], {"title": "Other"}, [systems["core"]])
    assert audit_actions(change)[-1] == ("change.update", "denied")


def test_close_needs_code_and_notes(board, systems):
    change = reach(State.IMPLEMENTED, board, systems)
    change = services.transition(change, "begin_review", board["requester"])
    with pytest.raises(ChangeError, match="needs a close code and closing notes"):
        services.transition(change, "close", board["cab1"], code="successful", notes="  ")
    change.refresh_from_db()
    assert change.state == State.REVIEW


def test_closed_without_notes_violates_constraint(board, systems):
    change = reach(State.IMPLEMENTED, board, systems)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.filter(pk=change.pk).update(state=State.CLOSED)


def test_schedule_needs_implementer(board, systems):
    change = new_change(board["requester"], [systems["core"]])
    change = to_cab_review(change, board)
    change = approve_by_majority(change, board)
    with pytest.raises(ChangeError, match="has no implementer; assign one"):
        services.transition(change, "schedule", board["cab1"])


# Standard changes


def test_standard_change_skips_cab(board, systems, template):
    change = new_change(board["requester"], [], change_type=ChangeType.STANDARD,
                        template=template, implementer=board["implementer"],
                        impact="high", likelihood="high")
    assert change.implementation_plan == template.implementation_plan
    assert change.risk == "low"
    assert list(change.systems.all()) == [systems["web"]]
    change = services.transition(change, "submit", board["requester"])
    change = services.transition(change, "schedule", board["cab1"])
    assert change.state == State.SCHEDULED
    assert not change.votes.exists()


def test_normal_change_cannot_skip_cab(board, systems):
    change = reach(State.SUBMITTED, board, systems)
    with pytest.raises(ChangeError, match="normal change, which cannot be scheduled"):
        services.transition(change, "schedule", board["cab1"])


def test_standard_change_needs_template(board, systems):
    with pytest.raises(ChangeError, match="needs a template"):
        new_change(board["requester"], [systems["core"]], change_type=ChangeType.STANDARD)


# Votes, separation of duties and delegation


def test_requester_and_implementer_cannot_vote(board, systems):
    for persona in ("requester", "implementer", "cab1"):
        board[persona].groups.add(*board["cab1"].groups.all())
    change = reach(State.CAB_REVIEW, board, systems)
    for persona in ("requester", "implementer"):
        with pytest.raises(PermissionDenied, match="cannot vote"):
            services.cast_vote(change, board[persona], "approve", "Looks fine.")
    assert not change.votes.exists()
    assert audit_actions(change)[-1] == ("change.vote", "denied")


def test_outsider_cannot_vote(board, systems):
    change = reach(State.CAB_REVIEW, board, systems)
    with pytest.raises(PermissionDenied, match="not a voting member of the CAB"):
        services.cast_vote(change, board["outsider"], "approve", "Yes.")
    with pytest.raises(PermissionDenied, match="not a voting member"):
        services.cast_vote(change, board["ecab1"], "approve", "Yes.")


def test_vote_needs_comment_and_open_round(board, systems):
    change = reach(State.SUBMITTED, board, systems)
    with pytest.raises(ChangeError, match="needs a comment"):
        services.cast_vote(change, board["cab1"], "approve", " ")
    with pytest.raises(ChangeError, match="no CAB vote is open"):
        services.cast_vote(change, board["cab1"], "approve", "Fine.")
    with pytest.raises(ChangeError, match="Invalid vote 'maybe'"):
        services.cast_vote(change, board["cab1"], "maybe", "Fine.")


def test_second_vote_returns_existing(board, systems):
    change = reach(State.CAB_REVIEW, board, systems)
    first, created = services.cast_vote(change, board["cab1"], "approve", "Fine.")
    again, created_again = services.cast_vote(change, board["cab1"], "reject", "Changed my mind.")
    assert created is True
    assert created_again is False
    assert again.pk == first.pk
    assert again.decision == "approve"
    assert change.votes.count() == 1


def test_database_keeps_one_vote_per_round(board, systems):
    change = reach(State.CAB_REVIEW, board, systems)
    services.cast_vote(change, board["cab1"], "approve", "Fine.")
    with pytest.raises(IntegrityError), transaction.atomic():
        CabVote.objects.create(change=change, round=1, kind="approval", board="CAB",
                               member=board["cab1"], cast_by=board["cab1"],
                               decision="reject", comment="Twice.")


def test_majority_rejects_change(board, systems):
    change = reach(State.CAB_REVIEW, board, systems)
    services.cast_vote(change, board["cab1"], "reject", "No rollback test.")
    services.cast_vote(change, board["cab2"], "reject", "Agreed, no.")
    change.refresh_from_db()
    assert change.state == State.REJECTED
    assert audit_actions(change)[-1] == ("change.reject", "success")


def test_all_rule_needs_every_member(board, systems, settings):
    settings.CHANGES_QUORUM_RULE = "all"
    change = reach(State.CAB_REVIEW, board, systems)
    change = approve_by_majority(change, board)
    assert change.state == State.CAB_REVIEW
    services.cast_vote(change, board["cab3"], "approve", "Yes.")
    change.refresh_from_db()
    assert change.state == State.APPROVED


def test_percentage_rule_counts_share(board, systems, settings):
    settings.CHANGES_QUORUM_RULE = "percentage"
    settings.CHANGES_QUORUM_PERCENTAGE = 30
    change = reach(State.CAB_REVIEW, board, systems)
    services.cast_vote(change, board["cab1"], "approve", "Yes.")
    change.refresh_from_db()
    assert change.state == State.APPROVED


def test_high_risk_needs_mandatory_approver(board, systems, settings):
    settings.CHANGES_MANDATORY_APPROVER_USERNAMES = ["ciso"]
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"],
                        impact="high", likelihood="medium")
    assert change.risk == "high"
    change = to_cab_review(change, board)
    services.cast_vote(change, board["cab1"], "approve", "Yes.")
    services.cast_vote(change, board["cab2"], "approve", "Yes.")
    services.cast_vote(change, board["cab3"], "approve", "Yes.")
    change.refresh_from_db()
    assert change.state == State.CAB_REVIEW
    services.cast_vote(change, board["ciso"], "approve", "Security accepts the risk.")
    change.refresh_from_db()
    assert change.state == State.APPROVED


def test_mandatory_group_rejection_decides(board, systems, settings):
    from django.contrib.auth.models import Group

    settings.CHANGES_MANDATORY_APPROVER_GROUP = "CISO office"
    board["ciso"].groups.add(Group.objects.create(name="CISO office"))
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"],
                        impact="high", likelihood="high")
    change = to_cab_review(change, board)
    services.cast_vote(change, board["ciso"], "reject", "Unacceptable risk.")
    change.refresh_from_db()
    assert change.state == State.REJECTED


def test_low_risk_ignores_mandatory_approver(board, systems, settings):
    settings.CHANGES_MANDATORY_APPROVER_USERNAMES = ["ciso"]
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"],
                        impact="low", likelihood="low")
    change = to_cab_review(change, board)
    with pytest.raises(PermissionDenied):
        services.cast_vote(change, board["ciso"], "approve", "Yes.")
    change = approve_by_majority(change, board)
    assert change.state == State.APPROVED


def test_delegate_votes_for_absent_member(board, systems):
    today = timezone.localdate()
    VoteDelegation.objects.create(member=board["cab1"], delegate=board["ecab1"],
                                  starts_on=today, ends_on=today + datetime.timedelta(days=3))
    change = reach(State.CAB_REVIEW, board, systems)
    assert [user.pk for user in services.members_for(board["ecab1"], change)] == [board["cab1"].pk]
    vote, created = services.cast_vote(change, board["ecab1"], "approve", "For cab1.",
                                       member=board["cab1"])
    assert created
    assert vote.member == board["cab1"]
    assert vote.cast_by == board["ecab1"]
    assert vote.by_delegate
    event = AuditEvent.objects.filter(action="change.vote").latest("id")
    assert event.detail["member"] == f"user:{board['cab1'].pk}"
    assert event.detail["cast_by"] == f"user:{board['ecab1'].pk}"
    # The member, back early, finds the delegate's vote already counted for them.
    again, created_again = services.cast_vote(change, board["cab1"], "reject", "Back early.")
    assert created_again is False
    assert again.pk == vote.pk
    assert change.votes.count() == 1


def test_expired_delegation_is_refused(board, systems):
    today = timezone.localdate()
    VoteDelegation.objects.create(member=board["cab1"], delegate=board["ecab1"],
                                  starts_on=today - datetime.timedelta(days=5),
                                  ends_on=today - datetime.timedelta(days=1))
    change = reach(State.CAB_REVIEW, board, systems)
    with pytest.raises(PermissionDenied, match="no delegation to vote for"):
        services.cast_vote(change, board["ecab1"], "approve", "For cab1.", member=board["cab1"])


def test_delegate_cannot_be_requester(board, systems):
    today = timezone.localdate()
    VoteDelegation.objects.create(member=board["cab1"], delegate=board["requester"],
                                  starts_on=today, ends_on=today)
    change = reach(State.CAB_REVIEW, board, systems)
    with pytest.raises(PermissionDenied, match="cannot vote"):
        services.cast_vote(change, board["requester"], "approve", "Mine.", member=board["cab1"])


def test_approver_cannot_become_implementer(board, systems):
    change = new_change(board["requester"], [systems["core"]])
    change = to_cab_review(change, board)
    change = approve_by_majority(change, board)
    with pytest.raises(ChangeError, match="approved CHG-\\d+, so cannot implement it"):
        services.assign_implementer(change, board["cab3"], board["cab1"])
    services.assign_implementer(change, board["cab3"], board["implementer"])
    change.refresh_from_db()
    assert change.implementer == board["implementer"]
    assert board["implementer"].has_perm("changes.view_changerequest", change)


def test_change_manager_cannot_assign_self(board, systems):
    change = reach(State.SUBMITTED, board, systems)
    with pytest.raises(PermissionDenied):
        services.assign_implementer(change, board["cab1"], board["cab1"])


# Emergency changes


def emergency_change(board, systems, **kwargs):
    change = new_change(board["requester"], [systems["core"]], change_type=ChangeType.EMERGENCY,
                        implementer=board["implementer"], start=in_days(0, 2), **kwargs)
    change = services.transition(change, "submit", board["requester"])
    return services.transition(change, "send_to_cab", board["ecab1"])


def test_emergency_change_approved_by_emergency_cab(board, systems, settings):
    settings.CHANGES_EMERGENCY_REVIEW_DAYS = 3
    change = emergency_change(board, systems)
    assert change.state == State.CAB_REVIEW
    with pytest.raises(PermissionDenied, match="not a voting member of the Emergency CAB"):
        services.cast_vote(change, board["cab1"], "approve", "Yes.")
    services.cast_vote(change, board["ecab1"], "approve", "Restore service now.")
    services.cast_vote(change, board["ecab2"], "approve", "Agreed.")
    change.refresh_from_db()
    assert change.state == State.APPROVED
    assert set(change.votes.values_list("board", flat=True)) == {"Emergency CAB"}

    for action, persona in [("schedule", "ecab1"), ("start", "implementer"),
                            ("complete", "implementer")]:
        change = services.transition(change, action, board[persona])
    assert change.retrospective_due_on == timezone.localdate() + datetime.timedelta(days=3)
    assert not change.retrospective_overdue

    change = services.transition(change, "begin_review", board["requester"])
    with pytest.raises(ChangeError, match="retrospective CAB review is not finished"):
        services.transition(change, "close", board["cab1"], code="successful", notes="Done.")

    services.cast_vote(change, board["cab1"], "approve", "Justified emergency.")
    services.cast_vote(change, board["cab2"], "approve", "Agreed.")
    change.refresh_from_db()
    assert change.retrospective_outcome == "approved"
    assert change.retrospective_completed_at is not None
    assert [a for a, _ in audit_actions(change)][-1] == "change.retrospective_approve"
    retrospective = change.votes.filter(kind="retrospective")
    assert set(retrospective.values_list("board", flat=True)) == {"CAB"}

    change = services.transition(change, "close", board["cab1"], code="successful",
                                 notes="Service restored; review passed.")
    assert change.state == State.CLOSED


def test_overdue_retrospective_is_flagged(board, systems):
    change = emergency_change(board, systems)
    services.cast_vote(change, board["ecab1"], "approve", "Go.")
    services.cast_vote(change, board["ecab2"], "approve", "Go.")
    change.refresh_from_db()
    for action, persona in [("schedule", "ecab1"), ("start", "implementer"),
                            ("complete", "implementer")]:
        change = services.transition(change, action, board[persona])
    due = change.retrospective_due_on
    assert ChangeRequest.objects.retrospective_overdue(today=due).count() == 0
    overdue = ChangeRequest.objects.retrospective_overdue(today=due + datetime.timedelta(days=1))
    assert list(overdue) == [change]

    ChangeRequest.objects.filter(pk=change.pk).update(
        retrospective_due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    change.refresh_from_db()
    assert change.retrospective_overdue


def test_normal_change_never_retrospective(board, systems):
    change = reach(State.IMPLEMENTED, board, systems)
    assert change.retrospective_due_on is None
    assert not ChangeRequest.objects.retrospective_overdue().exists()


# Calendar conflicts and blackouts


def test_overlap_on_same_system_is_flagged(board, systems):
    first = reach(State.SUBMITTED, board, systems)
    second = new_change(board["requester"], [systems["core"]], start=first.planned_start
                        + datetime.timedelta(hours=1), title="Patch the database")
    second = services.transition(second, "submit", board["requester"])
    assert first.reference in second.conflict_summary
    assert "Core banking" in second.conflict_summary


def test_other_system_or_time_not_flagged(board, systems):
    first = reach(State.SUBMITTED, board, systems)
    other_system = new_change(board["requester"], [systems["mail"]], start=first.planned_start)
    other_system = services.transition(other_system, "submit", board["requester"])
    later = new_change(board["requester"], [systems["core"]], start=first.planned_end)
    later = services.transition(later, "submit", board["requester"])
    assert other_system.conflict_summary == ""
    assert later.conflict_summary == ""


def test_cancelled_change_no_longer_conflicts(board, systems):
    first = reach(State.SUBMITTED, board, systems)
    services.transition(first, "cancel", board["requester"])
    second = new_change(board["requester"], [systems["core"]], start=first.planned_start)
    second = services.transition(second, "submit", board["requester"])
    assert second.conflict_summary == ""


def blackout(start, hours=48, systems_list=()):
    period = BlackoutPeriod.objects.create(
        name="Year-end freeze", starts_at=start, ends_at=start + datetime.timedelta(hours=hours)
    )
    period.systems.set(systems_list)
    return period


def test_blackout_blocks_normal_scheduling(board, systems):
    change = reach(State.APPROVED, board, systems)
    blackout(change.planned_start - datetime.timedelta(hours=1))
    with pytest.raises(ChangeError, match="falls in the blackout period Year-end freeze .*, when only emergency"):
        services.transition(change, "schedule", board["cab3"])
    change.refresh_from_db()
    assert change.state == State.APPROVED


def test_blackout_flagged_on_submit(board, systems):
    blackout(in_days(10) - datetime.timedelta(hours=1), systems_list=[systems["core"]])
    change = reach(State.SUBMITTED, board, systems)
    assert "Falls in the blackout period Year-end freeze" in change.conflict_summary


def test_blackout_on_other_system_ignored(board, systems):
    blackout(in_days(10) - datetime.timedelta(hours=1), systems_list=[systems["mail"]])
    change = reach(State.SCHEDULED, board, systems)
    assert change.conflict_summary == ""


def test_emergency_change_scheduled_in_blackout(board, systems):
    blackout(in_days(0))
    change = emergency_change(board, systems)
    services.cast_vote(change, board["ecab1"], "approve", "Go.")
    services.cast_vote(change, board["ecab2"], "approve", "Go.")
    change.refresh_from_db()
    change = services.transition(change, "schedule", board["ecab1"])
    assert change.state == State.SCHEDULED
    assert "blackout" in change.conflict_summary
