"""Acknowledging policy versions and computing each reader's status."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from ..audit.services import record_event
from ..policies.models import PolicyPage, PolicyVersion
from ..training.services import require_training_for_acknowledgement
from .campaigns import complete_assignments, lapse_cutoff
from .models import Acknowledgement

USER_AGENT_MAX_LENGTH = 512


class StaleVersion(Exception):
    """The version acknowledged is no longer the policy's current version."""

    def __init__(self, version, current):
        self.version = version
        self.current = current
        super().__init__(
            f"Version {version.label} of {version.title!r} is no longer current; "
            f"version {current.label} is."
        )


class ContentMismatch(Exception):
    """The content hash posted is not the hash of the version's content."""


@dataclass(frozen=True)
class PolicyStatus:
    policy: PolicyPage
    current: PolicyVersion
    acknowledged_version: PolicyVersion | None

    @property
    def action_required(self):
        return self.acknowledged_version is None


def acknowledge(user, version, shown_sha256, ip_address=None, user_agent="", request=None):
    """Record ``user``'s acknowledgement of ``version``; return (ack, created).

    Only the current version can be acknowledged, and only with the hash of
    the content that was shown. A repeated submission returns the existing
    acknowledgement: the database keeps one per user, version and cycle. When
    the policy requires periodic re-attestation and the last acknowledgement
    has lapsed, a new one is recorded in the next cycle and the earlier one
    is kept. Either way, the pending campaign assignments it satisfies are
    completed.
    """
    current = version.policy.current_version()
    if current is None or current.pk != version.pk:
        raise StaleVersion(version, current)
    if shown_sha256 != version.content_sha256:
        raise ContentMismatch(
            f"The content you confirmed does not match version {version.label} of "
            f"{version.title}; reload the policy and read it again."
        )
    # Raises TrainingRequired (a PermissionDenied) naming the modules still to do.
    require_training_for_acknowledgement(user, version.policy)
    latest = Acknowledgement.objects.filter(user=user, version=version).order_by("-cycle").first()
    cutoff = lapse_cutoff(version.policy)
    if latest is not None and (cutoff is None or latest.acknowledged_at > cutoff):
        with transaction.atomic():
            complete_assignments(latest, user)
        return latest, False
    cycle = latest.cycle + 1 if latest is not None else 1
    try:
        with transaction.atomic():
            ack = Acknowledgement.objects.create(
                user=user,
                version=version,
                cycle=cycle,
                content_sha256=shown_sha256,
                ip_address=ip_address,
                user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH],
            )
            completed = complete_assignments(ack, user)
            record_event(
                "policy.acknowledged", actor=user, obj=version, request=request,
                detail={"policy": version.policy.slug, "version": version.label,
                        "content_sha256": shown_sha256, "cycle": cycle,
                        "assignments_completed": completed},
            )
        return ack, True
    except IntegrityError:
        return Acknowledgement.objects.get(user=user, version=version, cycle=cycle), False


def current_versions(policies):
    """Return {policy id: current PolicyVersion} in one query."""
    current = {}
    versions = PolicyVersion.objects.filter(policy__in=policies).order_by(
        "policy_id", "-major", "-minor"
    )
    for version in versions:
        current.setdefault(version.policy_id, version)
    return current


def statuses_for(user):
    """Return a PolicyStatus for each live policy with a version, in title order.

    A policy needs action when the reader has no valid acknowledgement of its
    current major number: a minor version keeps an earlier acknowledgement
    of the same major version valid, and a periodic re-attestation makes an
    acknowledgement older than the interval invalid. A procedure is listed
    only for members of its performing roles, who must acknowledge it. Two
    queries, whatever the number of policies.
    """
    from ..procedures.models import ProcedurePage

    others_procedures = ProcedurePage.objects.exclude(
        performer_groups__in=user.groups.values("pk")
    ).values("pk")
    current = {}
    versions = (
        PolicyVersion.objects.filter(policy__live=True)
        .exclude(policy_id__in=others_procedures)
        .select_related("policy")
        .order_by("policy_id", "-major", "-minor")
    )
    for version in versions:
        current.setdefault(version.policy_id, version)
    acknowledged = {}
    acks = (
        Acknowledgement.objects.filter(user=user, version__policy_id__in=list(current))
        .select_related("version")
        .order_by("version__major", "acknowledged_at")
    )
    for ack in acks:
        acknowledged[(ack.version.policy_id, ack.version.major)] = ack
    statuses = []
    for version in sorted(current.values(), key=lambda v: (v.policy.title, v.policy_id)):
        policy = version.policy
        ack = _valid(acknowledged.get((policy.pk, version.major)), policy)
        statuses.append(
            PolicyStatus(
                policy=policy,
                current=version,
                acknowledged_version=ack.version if ack else None,
            )
        )
    return statuses


def _valid(ack, policy):
    cutoff = lapse_cutoff(policy)
    if ack is None or (cutoff is not None and ack.acknowledged_at <= cutoff):
        return None
    return ack


def status_for(user, policy, version):
    latest = (
        Acknowledgement.objects.filter(
            user=user, version__policy=policy, version__major=version.major
        )
        .select_related("version")
        .order_by("-acknowledged_at")
        .first()
    )
    latest = _valid(latest, policy)
    return PolicyStatus(
        policy=policy, current=version, acknowledged_version=latest.version if latest else None
    )
