"""State changes of procedure runs, called by views and tasks.

Each function checks permission, runs in a transaction and writes the audit
record.
"""

import datetime
import hashlib
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..attestations.system import system_user
from ..audit.services import record_event
from ..changes.attachments import check_attachment
from .models import EvidenceKind, ProcedurePage, ProcedureRun, RunStep, StepEvidence
from .permissions import can_perform, can_start_run
from .schedule import period_at

logger = logging.getLogger(__name__)


class RunError(ValidationError):
    """A run action that the run's state or the evidence given does not allow."""


def _steps_of(version):
    """Return the steps of the procedure as published in ``version``."""
    return version.revision.as_object().step_list()


def _audit(action, run, *, actor=None, system_actor="", request=None, **detail):
    record_event(
        action,
        actor=actor,
        obj=run,
        system_actor=system_actor,
        request=request,
        detail={
            "procedure": run.procedure.slug,
            "version": run.version.label,
            "period": run.period_key,
            **detail,
        },
    )


def _create(procedure, version, period_key, defaults, actor, system_actor="", request=None):
    """Create the run for (procedure, period_key) once; return (run, created)."""
    existing = ProcedureRun.objects.filter(procedure=procedure, period_key=period_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            run = ProcedureRun(
                procedure=procedure,
                version=version,
                period_key=period_key,
                assignee=procedure.assignee,
                sign_off_group=procedure.sign_off_group,
                created_by=actor,
                **defaults,
            )
            run._history_user = actor
            run.save()
            for step in _steps_of(version):
                RunStep.objects.create(
                    run=run,
                    number=step["number"],
                    title=step["title"],
                    instructions=step["instructions"],
                    evidence_kind=step["evidence"],
                )
            _audit(
                "procedure.run_created",
                run,
                actor=None if system_actor else actor,
                system_actor=system_actor,
                request=request,
                trigger=run.trigger,
                due_date=run.due_date.isoformat(),
            )
    except IntegrityError:
        # A concurrent tick or submit created it between the check and the insert.
        return ProcedureRun.objects.get(procedure=procedure, period_key=period_key), False
    logger.info("Procedure run %s created for procedure %s", run.pk, procedure.pk)
    return run, True


def create_scheduled_run(procedure, now=None, actor_label="system"):
    """Create the run of the schedule period containing ``now``, at most once.

    Return (run, created), or (None, False) for an on-demand procedure or one
    without a published version.
    """
    now = now or timezone.now()
    period = period_at(procedure.schedule, procedure.schedule_cron, now)
    version = procedure.current_version()
    if period is None or version is None or not procedure.live:
        return None, False
    due = period.start_date + datetime.timedelta(days=procedure.run_due_days)
    defaults = {
        "trigger": ProcedureRun.Trigger.SCHEDULED,
        "period_start": period.start,
        "period_end": period.end,
        "due_date": due,
    }
    return _create(
        procedure, version, period.key, defaults, system_user(), system_actor=actor_label
    )


def create_due_runs(now=None, actor_label="system"):
    """Create this period's run for every live scheduled procedure; return the count."""
    created = 0
    procedures = ProcedurePage.objects.live().exclude(schedule="").order_by("pk")
    for procedure in procedures:
        _, was_created = create_scheduled_run(procedure, now, actor_label)
        created += was_created
    return created


def start_manual_run(procedure, user, token, reason, request=None):
    """Start a run by hand, e.g. de-provisioning when someone leaves.

    ``token`` comes from the form, so a double submit returns the first run.
    """
    if not can_start_run(user, procedure):
        raise PermissionDenied(
            "Only the procedure's performers and compliance admins can start a run."
        )
    if not reason.strip():
        raise RunError({"reason": "Say why the run is needed, e.g. who is leaving."})
    version = procedure.current_version()
    if version is None or not procedure.live:
        raise RunError(f"{procedure.title} has no published version to perform yet.")
    due = timezone.localdate() + datetime.timedelta(days=procedure.run_due_days)
    defaults = {"trigger": ProcedureRun.Trigger.MANUAL, "reason": reason.strip(), "due_date": due}
    return _create(procedure, version, f"manual:{token}", defaults, user, request=request)


def _locked(run):
    return (
        ProcedureRun.objects.select_for_update()
        .select_related("procedure", "version")
        .get(pk=run.pk)
    )


def _require_performer(run, user):
    if not can_perform(user, run):
        raise PermissionDenied(
            "Only the run's assignee, the procedure's performers and "
            "compliance admins can work on this run."
        )
    if run.status not in ProcedureRun.ACTIVE:
        raise RunError(
            f"This run is {run.get_status_display().lower()}; it can no longer be changed."
        )


def _save(run, user, fields, reason):
    run._history_user = user
    run._change_reason = reason
    run.save(update_fields=fields)


def _mark_started(run, user, request):
    if run.status != ProcedureRun.Status.OPEN:
        return
    run.status = ProcedureRun.Status.IN_PROGRESS
    run.started_by = user
    run.started_at = timezone.now()
    _save(run, user, ["status", "started_by", "started_at"], "Run started")
    _audit("procedure.run_started", run, actor=user, request=request)


def start_run(run, user, request=None):
    with transaction.atomic():
        run = _locked(run)
        _require_performer(run, user)
        _mark_started(run, user, request)
    return run


def _evidence_values(step, kind, note, url, confirmed, upload):
    """Check the evidence matches the step; return the StepEvidence fields."""
    if kind != step.evidence_kind:
        raise RunError(
            f"Step {step.number} needs {step.get_evidence_kind_display().lower()}, not {kind!r}."
        )
    if kind == EvidenceKind.NOTE:
        if not (note or "").strip():
            raise RunError({"note": f"Step {step.number}: write the note before saving."})
        return {"note": note.strip(), "sha256": _text_sha256(note.strip())}
    if kind == EvidenceKind.LINK:
        if not (url or "").startswith(("https://", "http://")):
            raise RunError({"url": f"Step {step.number}: {url!r} is not an http(s) link."})
        return {"url": url, "sha256": _text_sha256(url)}
    if kind == EvidenceKind.CHECKBOX:
        if not confirmed:
            raise RunError({"confirmed": f"Step {step.number}: tick the box to confirm."})
        return {"confirmed": True, "sha256": _text_sha256(f"confirmed step {step.number}")}
    if upload is None:
        raise RunError({"file": f"Step {step.number}: choose a file to attach."})
    content_type, digest = check_attachment(upload)
    return {
        "file": upload,
        "original_name": upload.name[:255],
        "content_type": content_type,
        "size_bytes": upload.size,
        "sha256": digest,
    }


def _text_sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def complete_step(
    run,
    number,
    user,
    *,
    kind=EvidenceKind.NONE,
    note="",
    url="",
    confirmed=False,
    upload=None,
    request=None,
):
    """Record a step as done, with the evidence it requires; return the step.

    A step may be given more evidence later (a correction adds a record, the
    first one stays).
    """
    with transaction.atomic():
        run = _locked(run)
        _require_performer(run, user)
        step = run.steps.filter(number=number).first()
        if step is None:
            raise RunError(f"This run has no step {number}.")
        evidence = None
        if step.needs_evidence:
            values = _evidence_values(step, kind, note, url, confirmed, upload)
            evidence = StepEvidence(step=step, kind=kind, provided_by=user, **values)
            evidence.save()
        _mark_started(run, user, request)
        if step.done_at is None:
            step.done_by = user
            step.done_at = timezone.now()
            step._history_user = user
            step.save(update_fields=["done_by", "done_at"])
        _audit(
            "procedure.step_evidenced",
            run,
            actor=user,
            request=request,
            step=step.number,
            evidence=kind,
            sha256=evidence.sha256 if evidence else "",
        )
    return step


def missing_steps(run):
    """Return the steps not yet done or lacking their evidence."""
    return [
        step
        for step in run.steps.prefetch_related("evidence")
        if step.done_at is None or (step.needs_evidence and not step.evidence.all())
    ]


def complete_run(run, user, request=None):
    """Finish a run once every step has its evidence; sign-off may follow."""
    with transaction.atomic():
        run = _locked(run)
        _require_performer(run, user)
        missing = missing_steps(run)
        if missing:
            numbers = ", ".join(str(step.number) for step in missing)
            raise RunError(
                f"The run cannot be completed: step(s) {numbers} still need "
                "to be done with their evidence."
            )
        run.completed_by = user
        run.completed_at = timezone.now()
        run.status = (
            ProcedureRun.Status.AWAITING_SIGN_OFF
            if run.sign_off_group_id
            else ProcedureRun.Status.COMPLETED
        )
        _save(run, user, ["status", "completed_by", "completed_at"], "Run completed")
        _audit(
            "procedure.run_completed",
            run,
            actor=user,
            request=request,
            sign_off_required=bool(run.sign_off_group_id),
        )
        if run.status == ProcedureRun.Status.COMPLETED:
            _queue_pdf(run)
    return run


def participants(run):
    """Return ids of everyone who performed the run or gave its evidence."""
    ids = {run.started_by_id, run.completed_by_id}
    ids.update(run.steps.values_list("done_by_id", flat=True))
    ids.update(StepEvidence.objects.filter(step__run=run).values_list("provided_by_id", flat=True))
    ids.discard(None)
    return ids


def can_sign_off(user, run):
    return (
        user.is_authenticated
        and user.is_active
        and run.status == ProcedureRun.Status.AWAITING_SIGN_OFF
        and user.groups.filter(pk=run.sign_off_group_id).exists()
        and user.pk not in participants(run)
    )


def sign_off(run, user, comment="", request=None):
    """Sign off a completed run as a second person (separation of duties)."""
    with transaction.atomic():
        run = _locked(run)
        if run.status != ProcedureRun.Status.AWAITING_SIGN_OFF:
            raise RunError(
                f"This run is {run.get_status_display().lower()}, not awaiting sign-off."
            )
        if user.pk in participants(run):
            raise PermissionDenied(
                "You performed this run or gave its evidence, so "
                "another member of the sign-off role must sign it off."
            )
        if not user.groups.filter(pk=run.sign_off_group_id).exists():
            raise PermissionDenied(
                f"Only members of {run.sign_off_group.name} can sign off this run."
            )
        run.status = ProcedureRun.Status.COMPLETED
        run.signed_off_by = user
        run.signed_off_at = timezone.now()
        run.sign_off_comment = comment.strip()
        _save(
            run,
            user,
            ["status", "signed_off_by", "signed_off_at", "sign_off_comment"],
            "Run signed off",
        )
        _audit("procedure.run_signed_off", run, actor=user, request=request)
        _queue_pdf(run)
    return run


def _queue_pdf(run):
    from .tasks import render_run_pdf_task

    run_id = run.pk
    transaction.on_commit(lambda: render_run_pdf_task.delay(run_id))
