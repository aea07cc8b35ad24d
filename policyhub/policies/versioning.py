"""Turn an approved revision into an immutable PolicyVersion."""

import hashlib
import json

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from wagtail.models import TaskState

from .models import ChangeType, PolicyApproval, PolicyVersion


def next_version_number(previous, change_type):
    """Return (major, minor) for a version following ``previous``."""
    if previous is None:
        return 1, 0
    if change_type == ChangeType.MINOR:
        return previous.major, previous.minor + 1
    return previous.major + 1, 0


def canonical_content(version):
    """Return the bytes whose SHA-256 identifies a version's content."""
    payload = {
        "policy": version.policy.slug,
        "title": version.title,
        "version": version.label,
        "owner_role": version.owner_role,
        "classification": version.classification,
        "effective_date": version.effective_date.isoformat(),
        "body_html": version.html_snapshot,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_sha256(version):
    return hashlib.sha256(canonical_content(version)).hexdigest()


def render_body_html(page):
    parts = [
        format_html('<section id="{}"><h2>{}</h2>\n{}\n</section>', anchor, heading, mark_safe(html))  # noqa: S308 - sanitised
        for anchor, heading, html in page.sections()
    ]
    return "\n".join(parts)


def record_version(page, revision, workflow_state):
    """Create the PolicyVersion and its approvals for a completed workflow."""
    previous = page.versions.order_by("-major", "-minor").first()
    change_type = page.change_type or ChangeType.MAJOR
    if previous is None:
        change_type = ChangeType.MAJOR
    major, minor = next_version_number(previous, change_type)
    now = timezone.now()
    effective = timezone.localdate(now)
    version = PolicyVersion(
        policy=page,
        revision=revision,
        major=major,
        minor=minor,
        change_type=change_type,
        change_summary=page.change_summary.strip() or "Initial version",
        title=page.title,
        owner_role=page.owner_role,
        approver_group_name=page.approver_group.name,
        classification=page.classification,
        effective_date=effective,
        next_review_date=effective + relativedelta(months=page.review_interval_months),
        html_snapshot=render_body_html(page),
        submitted_by=workflow_state.requested_by,
        published_at=now,
    )
    version.content_sha256 = content_sha256(version)
    version.save()

    approved_states = (
        workflow_state.task_states.filter(status=TaskState.STATUS_APPROVED)
        .select_related("task", "finished_by")
        .order_by("finished_at")
    )
    for order, state in enumerate(approved_states, start=1):
        PolicyApproval.objects.create(
            version=version,
            step=state.task.name,
            step_order=order,
            approved_by=state.finished_by,
            approved_at=state.finished_at,
            comment=state.comment or "",
        )
    return version
