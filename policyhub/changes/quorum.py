"""The CAB's quorum rule: whether the votes cast decide a review round.

``decide`` is pure so the rule can be tested and reasoned about on its own;
``services`` gathers the voters and votes from the database.
"""

import math
from dataclasses import dataclass

from django.conf import settings

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
RULES = ("all", "majority", "percentage")


@dataclass(frozen=True)
class QuorumRule:
    name: str
    percentage: int = 0

    def required_approvals(self, eligible_count):
        """Return how many approvals decide a round with ``eligible_count`` voters."""
        if self.name == "all":
            return eligible_count
        if self.name == "majority":
            return eligible_count // 2 + 1
        return max(1, math.ceil(eligible_count * self.percentage / 100))


def configured_rule():
    """Return the rule in CHANGES_QUORUM_RULE, or raise ValueError naming it."""
    name = settings.CHANGES_QUORUM_RULE
    if name not in RULES:
        raise ValueError(
            f"Invalid CHANGES_QUORUM_RULE {name!r}; use one of {', '.join(RULES)}."
        )
    percentage = settings.CHANGES_QUORUM_PERCENTAGE
    if name == "percentage" and not 1 <= percentage <= 100:
        raise ValueError(
            f"Invalid CHANGES_QUORUM_PERCENTAGE {percentage}; use 1 to 100."
        )
    return QuorumRule(name, percentage)


def decide(rule, eligible, approvals, rejections, mandatory=frozenset()):
    """Return APPROVED, REJECTED or PENDING for one review round.

    ``eligible`` contains the ids of everyone who may vote (requester and
    implementer already removed), ``mandatory`` the ids whose approval is
    required on top of the quorum. A round is approved once the quorum of
    eligible voters approved and every mandatory approver did; it is
    rejected as soon as a mandatory approver rejects or the quorum can no
    longer be reached. With nobody eligible the round stays pending.
    """
    eligible = frozenset(eligible)
    approvals = frozenset(approvals) & eligible
    rejections = frozenset(rejections) & eligible
    mandatory = frozenset(mandatory)
    if not eligible:
        return PENDING
    if mandatory & rejections:
        return REJECTED
    required = rule.required_approvals(len(eligible))
    if len(approvals) >= required and mandatory <= approvals:
        return APPROVED
    undecided = len(eligible) - len(approvals) - len(rejections)
    if len(approvals) + undecided < required:
        return REJECTED
    return PENDING
