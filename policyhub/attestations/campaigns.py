"""Campaign actions: create and launch, enrol, complete, reopen, extend.

Each state-changing function checks who acts, runs in a transaction, writes
the audit event and records simple-history rows that name a user: the
person who acted, or the ``system`` user when a task acts on its own.
"""

import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..accounts import roles
from ..audit.services import record_event
from ..policies.models import PolicyPage, PolicyVersion
from .audience import audience_user_ids
from .models import Acknowledgement, Assignment, Audience, Campaign, CampaignJob, DueDateExtension
from .system import system_user

logger = logging.getLogger(__name__)

ENROL_BATCH_SIZE = 2000
REASON_MAX_CHARS = 1000


def is_compliance_admin(user):
    return roles.user_has_role(user, roles.COMPLIANCE_ADMINS)


def require_compliance_admin(user):
    if not is_compliance_admin(user):
        raise PermissionDenied("Only compliance admins can manage attestation campaigns.")


def lapse_cutoff(policy, now=None):
    """Return the moment before which an acknowledgement of ``policy`` has lapsed.

    None when the policy does not require periodic re-attestation.
    """
    months = policy.attestation_interval_months
    if not months:
        return None
    return (now or timezone.now()) - relativedelta(months=months)


def valid_acknowledgements(version, user_ids):
    """Return {user id: Acknowledgement values} for acknowledgements that
    satisfy ``version``: same policy and major number, not lapsed."""
    acks = Acknowledgement.objects.filter(
        user_id__in=user_ids,
        version__policy_id=version.policy_id,
        version__major=version.major,
    )
    cutoff = lapse_cutoff(version.policy)
    if cutoff is not None:
        acks = acks.filter(acknowledged_at__gt=cutoff)
    latest = {}
    for user_id, ack_id, at in acks.order_by("acknowledged_at").values_list(
        "user_id", "id", "acknowledged_at"
    ):
        latest[user_id] = (ack_id, at)
    return latest


def create_campaign(actor, *, name, versions, due_date, audience=Audience.ALL,
                    groups=(), departments=(), users=(), grace_days=0, request=None,
                    token=None):
    """Create a campaign and queue its launch; return the launch CampaignJob.

    ``token`` identifies one submission of the launch form: submitting the
    same form again (a double click, a retried request) returns the first
    campaign's launch job and creates nothing.
    """
    require_compliance_admin(actor)
    if token is not None:
        earlier = _launch_job_for_token(token, actor)
        if earlier is not None:
            return earlier
        try:
            with transaction.atomic():
                return _create_campaign(
                    actor, name=name, versions=versions, due_date=due_date,
                    audience=audience, groups=groups, departments=departments, users=users,
                    grace_days=grace_days, request=request, token=token,
                )
        except IntegrityError:
            earlier = _launch_job_for_token(token, actor)
            if earlier is None:
                raise
            return earlier
    return _create_campaign(
        actor, name=name, versions=versions, due_date=due_date, audience=audience,
        groups=groups, departments=departments, users=users, grace_days=grace_days,
        request=request, token=None,
    )


def _launch_job_for_token(token, actor):
    return (
        CampaignJob.objects.filter(
            campaign__request_token=token, campaign__created_by=actor,
            kind=CampaignJob.Kind.LAUNCH,
        )
        .order_by("pk")
        .first()
    )


def _create_campaign(actor, *, name, versions, due_date, audience, groups, departments,
                     users, grace_days, request, token):
    from .tasks import launch_campaign_task

    today = timezone.localdate()
    if due_date < today:
        raise ValidationError(
            f"The due date {due_date:%d %b %Y} is in the past; choose today or later."
        )
    versions = list(versions)
    if not versions:
        raise ValidationError("Choose at least one policy version to attest.")
    with transaction.atomic():
        campaign = Campaign(
            name=name, audience=audience, audience_departments=list(departments),
            due_date=due_date, grace_days=grace_days, created_by=actor,
            request_token=token,
        )
        campaign._history_user = actor
        campaign.save()
        campaign.versions.set(versions)
        campaign.audience_groups.set(groups)
        campaign.audience_users.set(users)
        job = CampaignJob.objects.create(
            campaign=campaign, kind=CampaignJob.Kind.LAUNCH, requested_by=actor
        )
        record_event(
            "campaign.created", actor=actor, obj=campaign, request=request,
            detail={"versions": [v.pk for v in versions], "audience": audience,
                    "due_date": due_date.isoformat()},
        )
        transaction.on_commit(lambda: launch_campaign_task.delay(campaign.pk, job.pk))
    return job


def _set_status(campaign, status, actor, **fields):
    campaign.status = status
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign._history_user = actor
    campaign.save()


def launch(campaign_id, job_id=None, actor_label="system"):
    """Enrol a campaign's audience and open it; a repeated run adds nothing."""
    actor = system_user()
    campaign = Campaign.objects.get(pk=campaign_id)
    job = CampaignJob.objects.filter(pk=job_id).first() if job_id else None
    if campaign.status == Campaign.Status.CLOSED:
        return 0
    if campaign.status == Campaign.Status.DRAFT:
        _set_status(campaign, Campaign.Status.LAUNCHING, actor)
    if job is not None:
        CampaignJob.objects.filter(pk=job.pk).update(status=CampaignJob.Status.RUNNING)
    try:
        created = enrol(campaign, actor=actor, job=job)
    except Exception as exc:
        if job is not None:
            CampaignJob.objects.filter(pk=job.pk).update(
                status=CampaignJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
            )
        raise
    if campaign.status != Campaign.Status.OPEN:
        _set_status(campaign, Campaign.Status.OPEN, actor, launched_at=timezone.now())
    if job is not None:
        CampaignJob.objects.filter(pk=job.pk).update(
            status=CampaignJob.Status.DONE, finished_at=timezone.now()
        )
    record_event(
        "campaign.launched", obj=campaign, system_actor=actor_label,
        detail={"assignments_created": created},
    )
    logger.info("Campaign %s launched with %s new assignments", campaign.pk, created)
    return created


def enrol(campaign, user_ids=None, actor=None, job=None):
    """Create the missing assignments of ``campaign``'s audience; return how many.

    ``user_ids`` limits enrolment to those people (a new joiner). Work is
    committed in batches so the progress row is visible while it runs; each
    batch locks the campaign row and re-reads existing assignments, so
    concurrent runs never create a duplicate (the unique constraint is the
    final guard).
    """
    actor = actor or system_user()
    versions = list(campaign.versions.select_related("policy"))
    audience = audience_user_ids(campaign, among=user_ids)
    if job is not None:
        CampaignJob.objects.filter(pk=job.pk).update(total=len(audience) * len(versions))
    created = 0
    done = 0
    for version in versions:
        for start in range(0, len(audience), ENROL_BATCH_SIZE):
            batch = audience[start : start + ENROL_BATCH_SIZE]
            created += _enrol_batch(campaign, version, batch, actor)
            done += len(batch)
            if job is not None:
                CampaignJob.objects.filter(pk=job.pk).update(done=done)
    return created


def _enrol_batch(campaign, version, user_ids, actor):
    today = timezone.localdate()
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        existing = set(
            Assignment.objects.filter(
                campaign=campaign, version=version, user_id__in=user_ids
            ).values_list("user_id", flat=True)
        )
        missing = [pk for pk in user_ids if pk not in existing]
        if not missing:
            return 0
        acknowledged = valid_acknowledgements(version, missing)
        due = max(campaign.due_date, today)
        grace_until = due + timedelta(days=campaign.grace_days)
        assignments = []
        for user_id in missing:
            ack = acknowledged.get(user_id)
            assignments.append(
                Assignment(
                    campaign=campaign, user_id=user_id, version=version,
                    due_date=due, grace_until=grace_until,
                    status=Assignment.Status.COMPLETED if ack else Assignment.Status.PENDING,
                    acknowledgement_id=ack[0] if ack else None,
                    completed_at=ack[1] if ack else None,
                )
            )
        bulk_create_with_history(
            assignments, Assignment, batch_size=ENROL_BATCH_SIZE,
            default_user=actor, default_change_reason="Enrolled",
        )
    return len(assignments)


def enrol_user_in_open_campaigns(user_id):
    """Enrol one person in every open campaign whose audience now includes them."""
    created = 0
    for campaign in Campaign.objects.open():
        created += enrol(campaign, user_ids=[user_id])
    return created


def complete_assignments(ack, actor):
    """Complete ``ack.user``'s pending assignments that ``ack`` satisfies."""
    pending = Assignment.objects.select_for_update().filter(
        user_id=ack.user_id,
        status=Assignment.Status.PENDING,
        version__policy_id=ack.version.policy_id,
        version__major=ack.version.major,
    )
    completed = 0
    for assignment in pending:
        assignment.status = Assignment.Status.COMPLETED
        assignment.acknowledgement = ack
        assignment.completed_at = ack.acknowledged_at
        assignment._history_user = actor
        assignment._change_reason = "Acknowledged"
        assignment.save()
        completed += 1
    return completed


def extend_due_date(assignment, new_due_date, reason, actor, request=None):
    """Move one person's due date later and record who did it and why."""
    require_compliance_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for the extension; it is kept on record.")
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError(f"Shorten the reason to {REASON_MAX_CHARS} characters or fewer.")
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().select_related("campaign").get(
            pk=assignment.pk
        )
        if assignment.status != Assignment.Status.PENDING:
            raise ValidationError("Only a pending assignment can get a new due date.")
        if new_due_date <= assignment.due_date:
            raise ValidationError(
                f"The new due date {new_due_date:%d %b %Y} must be after the current "
                f"one, {assignment.due_date:%d %b %Y}."
            )
        DueDateExtension.objects.create(
            assignment=assignment, previous_due_date=assignment.due_date,
            new_due_date=new_due_date, reason=reason, granted_by=actor,
        )
        assignment.due_date = new_due_date
        assignment.grace_until = new_due_date + timedelta(days=assignment.campaign.grace_days)
        assignment.escalated_at = None
        assignment._history_user = actor
        assignment._change_reason = f"Due date extended: {reason}"[:100]
        assignment.save()
        record_event(
            "campaign.due_date_extended", actor=actor, obj=assignment, request=request,
            detail={"campaign": assignment.campaign_id, "user": assignment.user_id,
                    "new_due_date": new_due_date.isoformat()},
        )
    return assignment


def reopen_lapsed_assignments(now=None):
    """Reopen completed assignments whose periodic re-attestation has lapsed.

    Only assignments of a policy's current major version in open campaigns
    reopen. The earlier completion stays in the assignment's history and the
    earlier Acknowledgement row is kept; the next acknowledgement starts a
    new cycle.
    """
    now = now or timezone.now()
    actor = system_user()
    today = timezone.localdate(now)
    reopened = 0
    policies = PolicyPage.objects.filter(attestation_interval_months__isnull=False)
    for policy in policies:
        current = policy.current_version()
        if current is None:
            continue
        lapsed = Assignment.objects.filter(
            campaign__status=Campaign.Status.OPEN,
            status=Assignment.Status.COMPLETED,
            version__policy=policy,
            version__major=current.major,
            completed_at__lte=lapse_cutoff(policy, now),
        ).select_related("campaign")
        due = today + timedelta(days=policy.attestation_due_days)
        changed = []
        for assignment in lapsed.iterator(chunk_size=ENROL_BATCH_SIZE):
            assignment.status = Assignment.Status.PENDING
            assignment.cycle += 1
            assignment.acknowledgement = None
            assignment.completed_at = None
            assignment.escalated_at = None
            assignment.due_date = due
            assignment.grace_until = due + timedelta(days=assignment.campaign.grace_days)
            changed.append(assignment)
        for start in range(0, len(changed), ENROL_BATCH_SIZE):
            with transaction.atomic():
                bulk_update_with_history(
                    changed[start : start + ENROL_BATCH_SIZE], Assignment,
                    ["status", "cycle", "acknowledgement", "completed_at", "escalated_at",
                     "due_date", "grace_until"],
                    default_user=actor, default_change_reason="Re-attestation period lapsed",
                )
        reopened += len(changed)
        if changed:
            record_event(
                "campaign.assignments_reopened", obj=policy, system_actor="system",
                detail={"count": len(changed)},
            )
    return reopened


def audience_source(policy):
    """Return the latest launched campaign that targeted ``policy``, or None.

    A later campaign for the policy reuses its audience; a policy that was
    never in a campaign targets all active employees.
    """
    return (
        Campaign.objects.filter(versions__policy=policy)
        .exclude(status=Campaign.Status.DRAFT)
        .order_by("-created_at")
        .first()
    )


def _performer_groups(policy):
    """Return the performing roles when ``policy`` is a procedure, else None."""
    from ..procedures.models import ProcedurePage

    procedure = ProcedurePage.objects.filter(pk=policy.pk).first()
    return procedure.performer_groups.all() if procedure is not None else None


def _default_audience(policy):
    return Audience.ALL if _performer_groups(policy) is None else Audience.GROUPS


def policy_audience_ids(policy):
    """Return the ids of the people a policy's campaigns and notices target.

    Without an earlier campaign, a procedure targets its performing roles and
    a policy all active employees.
    """
    source = audience_source(policy)
    if source is None and _performer_groups(policy) is not None:
        users = get_user_model().objects.filter(
            is_active=True, groups__in=_performer_groups(policy)
        )
        return list(users.order_by("pk").values_list("pk", flat=True).distinct())
    return audience_user_ids(source or Campaign(audience=Audience.ALL))


def start_reattestation(version_id):
    """Open a re-attestation campaign for a newly published major version.

    Return the campaign, or None when the version needs no campaign: a first
    version (its attestation is launched by a compliance admin who picks the
    audience), a minor version, or a policy with re-attestation turned off.
    The database allows one such campaign per version, so a repeated task
    returns the existing one.
    """
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    policy = version.policy
    if version.major < 2 or version.minor != 0 or not policy.reattest_on_major_version:
        return None
    existing = Campaign.objects.filter(source_version=version).first()
    if existing is not None:
        return existing
    actor = system_user()
    source = audience_source(policy)
    due = timezone.localdate() + timedelta(days=policy.attestation_due_days)
    with transaction.atomic():
        campaign = Campaign(
            name=f"Re-attestation: {version.title} {version.label}",
            kind=Campaign.Kind.REATTESTATION, source_version=version,
            audience=source.audience if source else _default_audience(policy),
            audience_departments=list(source.audience_departments) if source else [],
            due_date=due, created_by=actor,
        )
        campaign._history_user = actor
        campaign.save()
        campaign.versions.set([version])
        if source is not None:
            campaign.audience_groups.set(source.audience_groups.all())
            campaign.audience_users.set(source.audience_users.all())
        elif _performer_groups(policy) is not None:
            campaign.audience_groups.set(_performer_groups(policy))
        record_event(
            "campaign.created", obj=campaign, system_actor="system",
            detail={"versions": [version.pk], "reason": "major version published"},
        )
    supersede_earlier_majors(version, actor)
    launch(campaign.pk)
    return campaign


def supersede_earlier_majors(version, actor):
    """Mark pending assignments of earlier major versions as superseded.

    They can no longer be completed, because only the current version can be
    acknowledged, so they leave the denominators.
    """
    earlier = list(
        Assignment.objects.filter(
            status=Assignment.Status.PENDING,
            version__policy_id=version.policy_id,
            version__major__lt=version.major,
        )
    )
    for assignment in earlier:
        assignment.status = Assignment.Status.SUPERSEDED
    for start in range(0, len(earlier), ENROL_BATCH_SIZE):
        with transaction.atomic():
            bulk_update_with_history(
                earlier[start : start + ENROL_BATCH_SIZE], Assignment, ["status"],
                default_user=actor, default_change_reason=f"Superseded by {version.label}",
            )
    return len(earlier)


def close_campaign(campaign, actor, request=None):
    """Close a campaign: no more reminders, enrolments or reopening."""
    require_compliance_admin(actor)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == Campaign.Status.CLOSED:
            return campaign
        _set_status(campaign, Campaign.Status.CLOSED, actor, closed_at=timezone.now())
        record_event("campaign.closed", actor=actor, obj=campaign, request=request)
    return campaign
