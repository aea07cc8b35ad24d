"""Reconstruct what was in force, approved and acknowledged on a given date."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone

from ..attestations.models import Acknowledgement
from .models import PolicyApproval, PolicyPage, PolicyVersion


@dataclass
class PolicyInForce:
    policy: PolicyPage
    version: PolicyVersion
    approvals: list
    acknowledged: list = field(default_factory=list)
    outstanding: list = field(default_factory=list)
    exceptions: list = field(default_factory=list)

    @property
    def total(self):
        return len(self.acknowledged) + len(self.outstanding)

    @property
    def rate(self):
        return round(100 * len(self.acknowledged) / self.total) if self.total else 0


def end_of_day(day):
    """Return the first instant after ``day`` in the site's time zone."""
    midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(midnight)


def active_users_on(cutoff):
    """Return the users who existed and were active just before ``cutoff``,
    read from each user's history so later deactivations do not rewrite the past."""
    User = get_user_model()
    # ``history_object`` builds each user from its history row alone. The
    # instances of ``User.history.as_of`` would read the fields that the
    # history excludes (password, last_login) with one query per user.
    records = (
        User.history.filter(history_date__lte=cutoff)
        .latest_of_each()
        .exclude(history_type="-")
    )
    historical = (record.history_object for record in records)
    return sorted(
        (user for user in historical if user.is_active and user.username != "system"),
        key=lambda user: (user.last_name, user.first_name, user.email),
    )


def procedure_audiences(policy_ids):
    """Return {procedure id: ids of its performers} for the procedures among
    ``policy_ids``, because only performers must acknowledge a procedure.

    NOTE: group membership has no history, so this uses today's performers.
    """
    from ..procedures.models import ProcedurePage

    User = get_user_model()
    links = ProcedurePage.performer_groups.through.objects.filter(
        procedurepage_id__in=list(policy_ids)
    ).values_list("procedurepage_id", "group_id")
    procedures = set(
        ProcedurePage.objects.filter(pk__in=list(policy_ids)).values_list("pk", flat=True)
    )
    groups = {}
    for procedure_id, group_id in links:
        groups.setdefault(group_id, set()).add(procedure_id)
    audiences = {procedure_id: set() for procedure_id in procedures}
    members = User.groups.through.objects.filter(group_id__in=list(groups))
    for group_id, user_id in members.values_list("group_id", "user_id"):
        for procedure_id in groups[group_id]:
            audiences[procedure_id].add(user_id)
    return audiences


def policies_in_force(day, slug=None):
    """Return a PolicyInForce for each policy that had a version on ``day``.

    The version in force is the latest one published before the end of that
    day. A person counts as having acknowledged it when they acknowledged any
    version of the same major number before the end of the day, since minor
    versions do not require a new acknowledgement.
    """
    cutoff = end_of_day(day)
    versions = (
        PolicyVersion.objects.filter(published_at__lt=cutoff)
        .select_related("policy")
        .prefetch_related(
            Prefetch("approvals", queryset=PolicyApproval.objects.select_related("approved_by"))
        )
    )
    if slug:
        versions = versions.filter(policy__slug=slug)
    in_force = {}
    for version in versions.order_by("policy_id", "-major", "-minor"):
        in_force.setdefault(version.policy_id, version)
    if not in_force:
        return []

    people = active_users_on(cutoff)
    acks = Acknowledgement.objects.filter(
        version__policy_id__in=in_force, acknowledged_at__lt=cutoff
    ).values_list("user_id", "version__policy_id", "version__major", "acknowledged_at")
    acknowledged_at = {}
    for user_id, policy_id, major, when in acks:
        if in_force[policy_id].major == major:
            key = (policy_id, user_id)
            acknowledged_at[key] = min(when, acknowledged_at.get(key, when))

    from ..exceptions.services import in_force as exceptions_in_force

    exceptions = {}
    for exception in exceptions_in_force(day):
        exceptions.setdefault(exception.version.policy_id, []).append(exception)

    audiences = procedure_audiences(in_force)
    results = []
    for version in sorted(in_force.values(), key=lambda v: v.title):
        audience = people
        if version.policy_id in audiences:
            audience = [p for p in people if p.id in audiences[version.policy_id]]
        entry = PolicyInForce(
            policy=version.policy,
            version=version,
            approvals=list(version.approvals.all()),
            exceptions=exceptions.get(version.policy_id, []),
        )
        for person in audience:
            when = acknowledged_at.get((version.policy_id, person.id))
            if when:
                entry.acknowledged.append((person, when))
            else:
                entry.outstanding.append(person)
        results.append(entry)
    return results
