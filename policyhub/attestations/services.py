"""Acknowledging policy versions and computing each reader's status."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from ..audit.services import record_event
from ..policies.models import PolicyPage, PolicyVersion
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
    acknowledgement: the database keeps one per user and version.
    """
    current = version.policy.current_version()
    if current is None or current.pk != version.pk:
        raise StaleVersion(version, current)
    if shown_sha256 != version.content_sha256:
        raise ContentMismatch(
            f"The content shown ({shown_sha256[:12]!r}) is not version "
            f"{version.label}'s content; reload the policy and read it again."
        )
    try:
        with transaction.atomic():
            ack = Acknowledgement.objects.create(
                user=user,
                version=version,
                content_sha256=shown_sha256,
                ip_address=ip_address,
                user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH],
            )
            record_event(
                "policy.acknowledged", actor=user, obj=version, request=request,
                detail={"policy": version.policy.slug, "version": version.label,
                        "content_sha256": shown_sha256},
            )
        return ack, True
    except IntegrityError:
        return Acknowledgement.objects.get(user=user, version=version), False


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
    """Return a PolicyStatus for each live policy, in title order.

    A policy needs action when the reader has not acknowledged any version of
    its current major number: a minor version keeps an earlier acknowledgement
    of the same major version valid.
    """
    policies = list(PolicyPage.objects.live().order_by("title"))
    current = current_versions(policies)
    acknowledged = {}
    acks = (
        Acknowledgement.objects.filter(user=user, version__policy__in=policies)
        .select_related("version")
        .order_by("version__major", "version__minor")
    )
    for ack in acks:
        acknowledged[(ack.version.policy_id, ack.version.major)] = ack.version
    statuses = []
    for policy in policies:
        version = current.get(policy.pk)
        if version is None:
            continue
        statuses.append(
            PolicyStatus(
                policy=policy,
                current=version,
                acknowledged_version=acknowledged.get((policy.pk, version.major)),
            )
        )
    return statuses


def status_for(user, policy, version):
    acks = Acknowledgement.objects.filter(
        user=user, version__policy=policy, version__major=version.major
    ).select_related("version")
    latest = acks.order_by("-version__minor").first()
    return PolicyStatus(
        policy=policy, current=version, acknowledged_version=latest.version if latest else None
    )
