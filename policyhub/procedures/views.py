"""Portal pages for procedure runs.

Rules live in ``services`` and ``permissions``. A run the user may not see is
not found (404).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ..accounts import roles
from . import dashboard as figures
from . import services
from .forms import SignOffForm, StartRunForm, StepEvidenceForm
from .models import ProcedurePage, ProcedureRun, RunStep, StepEvidence
from .pdf import signed_run_pdf_for
from .permissions import can_perform, can_start_run, is_compliance_admin, visible_runs

OPEN_STATUSES = (*ProcedureRun.ACTIVE, ProcedureRun.Status.AWAITING_SIGN_OFF)
RECENT_LIMIT = 20


def _run_for(request, run_id):
    runs = visible_runs(request.user).select_related(
        "procedure",
        "version",
        "assignee",
        "started_by",
        "completed_by",
        "signed_off_by",
        "sign_off_group",
    )
    return get_object_or_404(runs, pk=run_id)


def _startable(user):
    procedures = ProcedurePage.objects.live().order_by("title")
    if is_compliance_admin(user):
        return procedures
    return procedures.filter(performer_groups__in=user.groups.values("pk")).distinct()


@login_required
def my_runs(request):
    """Open runs the user may work on or sign off, and procedures they can start."""
    runs = visible_runs(request.user).select_related("version", "assignee")
    return render(
        request,
        "procedures/my_runs.html",
        {
            "open_runs": runs.filter(status__in=OPEN_STATUSES).order_by("due_date", "pk"),
            "recent_runs": runs.filter(status=ProcedureRun.Status.COMPLETED).order_by(
                "-completed_at", "-pk"
            )[:RECENT_LIMIT],
            "startable": _startable(request.user),
            "can_see_dashboard": _sees_dashboard(request.user),
            "now": timezone.now(),
            "today": timezone.localdate(),
        },
    )


def _sees_dashboard(user):
    return user.groups.filter(name__in=(roles.COMPLIANCE_ADMINS, roles.AUDITORS)).exists()


@login_required
def dashboard(request):
    """Overdue and missed runs, for compliance admins and auditors."""
    if not _sees_dashboard(request.user):
        raise PermissionDenied("The procedures dashboard is for compliance admins and auditors.")
    now = timezone.now()
    return render(
        request,
        "procedures/dashboard.html",
        {
            "totals": figures.totals(now),
            "late_runs": figures.late_runs(now),
            "now": now,
            "today": timezone.localdate(now),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def start_run(request, procedure_id):
    procedure = get_object_or_404(ProcedurePage.objects.live(), pk=procedure_id)
    if not can_start_run(request.user, procedure):
        raise Http404("No procedure you can start has this id.")
    form = StartRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run, created = services.start_manual_run(
                procedure,
                request.user,
                form.cleaned_data["token"],
                form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(request, f"Run of {procedure.title} started.")
            return redirect("procedures:run", run_id=run.pk)
    return render(
        request,
        "procedures/start_run.html",
        {"procedure": procedure, "form": form},
        status=400 if form.errors else 200,
    )


def _detail(request, run, forms=None, sign_off_form=None, status=200):
    evidence = StepEvidence.objects.select_related("provided_by")
    steps = list(
        run.steps.select_related("done_by").prefetch_related(
            Prefetch("evidence", queryset=evidence)
        )
    )
    forms = forms or {}
    may_perform = can_perform(request.user, run) and run.status in ProcedureRun.ACTIVE
    rows = [
        (step, forms.get(step.number) or (StepEvidenceForm(step) if may_perform else None))
        for step in steps
    ]
    return render(
        request,
        "procedures/run_detail.html",
        {
            "run": run,
            "rows": rows,
            "may_perform": may_perform,
            "may_sign_off": services.can_sign_off(request.user, run),
            "sign_off_form": sign_off_form or SignOffForm(),
            "missing": [step.number for step in services.missing_steps(run)],
            "now": timezone.now(),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
def run_detail(request, run_id):
    return _detail(request, _run_for(request, run_id))


@login_required
@require_POST
def step_evidence(request, run_id, number):
    run = _run_for(request, run_id)
    step = get_object_or_404(RunStep, run=run, number=number)
    form = StepEvidenceForm(step, request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, run, forms={number: form}, status=400)
    try:
        services.complete_step(run, number, request.user, request=request, **form.evidence())
    except ValidationError as error:
        form.add_error(None, error)
        return _detail(request, run, forms={number: form}, status=400)
    messages.success(request, f"Step {number} recorded.")
    return redirect("procedures:run", run_id=run.pk)


@login_required
@require_POST
def complete(request, run_id):
    run = _run_for(request, run_id)
    try:
        services.complete_run(run, request.user, request=request)
    except services.RunError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Run completed.")
    return redirect("procedures:run", run_id=run.pk)


@login_required
@require_POST
def sign_off(request, run_id):
    run = _run_for(request, run_id)
    form = SignOffForm(request.POST)
    if not form.is_valid():
        return _detail(request, run, sign_off_form=form, status=400)
    try:
        services.sign_off(run, request.user, form.cleaned_data["comment"], request=request)
    except services.RunError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Run signed off.")
    return redirect("procedures:run", run_id=run.pk)


@login_required
def run_pdf(request, run_id):
    run = _run_for(request, run_id)
    if run.status != ProcedureRun.Status.COMPLETED:
        raise Http404("The signed record exists once the run is completed.")
    record = signed_run_pdf_for(run, actor=f"user:{request.user.pk}")
    response = FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=record.filename,
        content_type="application/pdf",
    )
    response["X-Content-SHA256"] = record.sha256
    return response


@login_required
def evidence_download(request, evidence_id):
    evidence = get_object_or_404(
        StepEvidence.objects.select_related("step"), pk=evidence_id, kind="file"
    )
    _run_for(request, evidence.step.run_id)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-SHA256"] = evidence.sha256
    return response
