"""Votes of the change advisory boards and delegations between members."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .change import ChangeRequest


class VoteDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class Board(models.TextChoices):
    CAB = "CAB", "CAB"
    EMERGENCY_CAB = "Emergency CAB", "Emergency CAB"


class RoundKind(models.TextChoices):
    APPROVAL = "approval", "Approval before implementation"
    RETROSPECTIVE = "retrospective", "Retrospective review of an emergency change"


class CabVote(models.Model):
    """One board member's decision on a change in one review round.

    ``member`` is the board member whose vote this is; ``cast_by`` is who
    submitted it, which differs when a delegate voted for an absent member.
    The database keeps one vote per member, change and round.
    """

    change = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="votes")
    round = models.PositiveIntegerField()
    kind = models.CharField(max_length=15, choices=RoundKind.choices)
    board = models.CharField(max_length=20, choices=Board.choices)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=VoteDecision.choices)
    comment = models.TextField()
    cast_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "cast_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "round", "member"], name="one_vote_per_member_and_round"
            ),
            models.CheckConstraint(condition=~models.Q(comment=""), name="vote_has_comment"),
        ]

    def __str__(self):
        return f"{self.get_decision_display()} by user {self.member_id} on {self.change_id}"

    @property
    def by_delegate(self):
        return self.member_id != self.cast_by_id


class VoteDelegation(models.Model):
    """Lets ``delegate`` vote for ``member`` on the days from start to end."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vote_delegations"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vote_delegations_received"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="delegation_ends_on_or_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(member=models.F("delegate")),
                name="delegation_to_another_person",
            ),
        ]

    def __str__(self):
        return f"User {self.member_id} to user {self.delegate_id}, {self.starts_on} to {self.ends_on}"
