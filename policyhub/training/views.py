"""Portal pages for training. The rules live in the services package, and views only translate requests and results."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ..audit.services import record_event
from . import exports, phishing_reports, reports
from .certificates import issue_certificate
from .forms import ExtensionForm, ReportFilterForm, RuleForm
from .models import QuizAttempt, TrainingAssignment, TrainingCompletion, TrainingModulePage
from .permissions import can_manage, is_compliance_admin
from .services import (
    QuizError,
    complete_lesson,
    create_rule,
    grant_extension,
    grant_extra_attempt,
    start_attempt,
    submit_attempt,
)
from .services.quiz import attempt_questions, lessons_done
from .services.suspensions import suspend_after_days, suspension_in_force


def _compliance_admin_only(request):
    if not is_compliance_admin(request.user):
        raise PermissionDenied("Only compliance administrators can see training reports.")


@login_required
def my_training(request):
    today = timezone.localdate()
    assignments = list(
        TrainingAssignment.objects.filter(user=request.user, module__live=True)
        .exclude(status=TrainingAssignment.Status.CANCELLED)
        .select_related("module").order_by("status", "due_date")
    )
    completions = list(
        TrainingCompletion.objects.filter(assignment__user=request.user)
        .select_related("assignment__module").order_by("-completed_at")
    )
    return render(request, "training/my_training.html", {
        "assignments": assignments, "completions": completions, "today": today,
        "is_manager": request.user.reports.exists(),
        "is_compliance_admin": is_compliance_admin(request.user),
        "suspension": suspension_in_force(request.user),
        "suspend_after_days": suspend_after_days(),
    })


def _module_and_assignment(request, slug):
    module = get_object_or_404(TrainingModulePage.objects.live(), slug=slug)
    assignment = TrainingAssignment.objects.filter(user=request.user, module=module).first()
    return module, assignment


@login_required
def module_detail(request, slug):
    module, assignment = _module_and_assignment(request, slug)
    done = lessons_done(assignment) if assignment else set()
    lessons = [
        {"id": block.id, "number": position, "value": block.value, "done": block.id in done}
        for position, block in enumerate(module.lessons, start=1)
    ]
    attempts = []
    open_attempt = None
    if assignment:
        attempts = list(assignment.attempts.filter(cycle=assignment.cycle))
        open_attempt = next((a for a in attempts if not a.is_submitted), None)
    return render(request, "training/module.html", {
        "module": module, "assignment": assignment, "lessons": lessons,
        "all_lessons_done": all(lesson["done"] for lesson in lessons),
        "attempts": attempts, "open_attempt": open_attempt,
        "attempts_left": max(assignment.attempts_allowed - len(attempts), 0) if assignment else 0,
        "policies": module.policy_links.select_related("policy").filter(policy__live=True),
    })


@login_required
@require_POST
def lesson_done(request, slug, lesson_id):
    module, assignment = _module_and_assignment(request, slug)
    if assignment is None:
        raise Http404("This module is not assigned to you.")
    try:
        complete_lesson(request.user, assignment, lesson_id)
    except QuizError as exc:
        messages.error(request, str(exc))
    return redirect(f"{module.portal_url}#lesson-{lesson_id}")


@login_required
@require_POST
def quiz_start(request, slug):
    module, assignment = _module_and_assignment(request, slug)
    if assignment is None:
        raise Http404("This module is not assigned to you.")
    try:
        attempt, _ = start_attempt(request.user, assignment, request=request)
    except QuizError as exc:
        messages.error(request, str(exc))
        return redirect(module.portal_url)
    return redirect("training:attempt", attempt_id=attempt.pk)


def _posted_answers(request, question_ids):
    return {qid: request.POST.getlist(f"q-{qid}") for qid in question_ids}


@login_required
@require_http_methods(["GET", "POST"])
def attempt_detail(request, attempt_id):
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("assignment__module", "revision"),
        pk=attempt_id, assignment__user=request.user,
    )
    module = attempt.assignment.module
    questions = attempt_questions(attempt)
    error = ""
    selected = attempt.answers
    if request.method == "POST":
        selected = _posted_answers(request, attempt.question_ids)
        try:
            attempt, created = submit_attempt(request.user, attempt, selected, request=request)
        except QuizError as exc:
            error = str(exc)
        else:
            if not created:
                messages.info(request, "This attempt was already submitted; its result is below.")
            return redirect("training:attempt", attempt_id=attempt.pk)
    return render(request, "training/attempt.html", {
        "attempt": attempt, "module": module, "error": error,
        "questions": _question_rows(attempt, questions, selected),
        "completion": getattr(attempt, "completion", None) if attempt.passed else None,
    }, status=400 if error else 200)


def _question_rows(attempt, questions, selected):
    """Build the rows the quiz template shows; correctness only once submitted."""
    rows = []
    for position, (qid, question) in enumerate(questions, start=1):
        chosen = set(selected.get(qid, []))
        choices = []
        for child in question["choices"].bound_blocks:
            choice = {"id": child.id, "text": child.value["text"], "chosen": child.id in chosen}
            if attempt.is_submitted:
                choice["correct"] = child.value["correct"]
            choices.append(choice)
        row = {"id": qid, "number": position, "prompt": question["prompt"],
               "multiple": question["kind"] == "multiple", "choices": choices}
        if attempt.is_submitted:
            row["explanation"] = question["explanation"]
            row["right"] = {c["id"] for c in choices if c["correct"]} == chosen
        rows.append(row)
    return rows


@login_required
def certificate(request, completion_id):
    completion = get_object_or_404(
        TrainingCompletion.objects.select_related("assignment__user", "assignment__module"),
        pk=completion_id,
    )
    if completion.assignment.user_id != request.user.pk and not can_manage(
        request.user, completion.assignment
    ):
        raise Http404("No certificate found.")
    if not completion.certificate:
        completion = issue_certificate(completion.pk, system_actor="training.certificate_view")
    record_event("training.certificate_downloaded", actor=request.user, obj=completion,
                 request=request)
    with completion.certificate.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    name = f"certificate-{completion.assignment.module.slug}-{completion.cycle}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def team(request):
    if not request.user.reports.exists() and not is_compliance_admin(request.user):
        raise PermissionDenied("Only line managers have a team training page.")
    return render(request, "training/team.html", {
        "assignments": reports.team(request.user), "today": timezone.localdate(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def extend(request, assignment_id):
    assignment = get_object_or_404(
        TrainingAssignment.objects.select_related("user", "module"), pk=assignment_id
    )
    if not can_manage(request.user, assignment):
        raise Http404("No training assignment found.")
    form = ExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant_extension(request.user, assignment, form.cleaned_data["new_due_date"],
                            form.cleaned_data["reason"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Due date of {assignment.module.title} for "
                             f"{assignment.user} moved to "
                             f"{form.cleaned_data['new_due_date']:%d %b %Y}.")
            return redirect("training:report" if is_compliance_admin(request.user)
                            else "training:team")
    return render(request, "training/extend.html", {
        "assignment": assignment, "form": form,
        "extensions": assignment.extensions.select_related("granted_by"),
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def grant_attempt(request, assignment_id):
    assignment = get_object_or_404(
        TrainingAssignment.objects.select_related("user", "module"), pk=assignment_id
    )
    if not can_manage(request.user, assignment):
        raise Http404("No training assignment found.")
    try:
        row = grant_extra_attempt(request.user, assignment, request.POST.get("reason", ""),
                                  request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{assignment.user} now has {row.attempts_allowed} attempts "
                         f"at {assignment.module.title}.")
    return redirect("training:extend", assignment_id=assignment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assign(request):
    _compliance_admin_only(request)
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rule = create_rule(request.user, data["module"], data["target"],
                               group=data["group"], user=data["user"],
                               department=data["department"], due_date=data["due_date"],
                               due_in_days=data["due_in_days"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Rule {rule.pk} created: {data['module'].title} for "
                             f"{rule.audience}. Its members are being assigned; the "
                             "status is shown below.")
            return redirect("training:rules")
    return render(request, "training/assign.html", {"form": form},
                  status=400 if form.errors else 200)


def _report_context(request):
    form = ReportFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    report_filter = reports.ReportFilter(
        module_id=data["module"].pk if data.get("module") else None,
        department=data.get("department", ""),
        completed_from=data.get("completed_from"), completed_to=data.get("completed_to"),
    )
    today = timezone.localdate()
    return form, report_filter, today


@login_required
def report(request):
    _compliance_admin_only(request)
    form, report_filter, today = _report_context(request)
    return render(request, "training/report.html", {
        "form": form, "today": today,
        "by_module": reports.by_module(report_filter, today),
        "by_department": reports.by_department(report_filter, today),
        "period": reports.completions_in_period(report_filter),
        "overdue": reports.overdue(report_filter, today),
        "suspensions": reports.suspensions(report_filter),
        "phishing": phishing_reports.cadence(today),
        "departments": reports.departments(),
        "query": request.GET.urlencode(),
    }, status=400 if form.errors else 200)


@login_required
def report_export(request, fmt):
    _compliance_admin_only(request)
    form, report_filter, today = _report_context(request)
    if form.errors:
        return HttpResponse("; ".join(e for errors in form.errors.values() for e in errors),
                            status=400, content_type="text/plain")
    rows = reports.detail_rows(report_filter, today)
    stamp = today.isoformat()
    if fmt == "csv":
        body, content_type = exports.to_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = exports.to_xlsx(rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf":
        body = exports.to_signed_pdf({
            "rows": rows, "today": today, "filter": report_filter,
            "by_module": reports.by_module(report_filter, today),
        })
        content_type = "application/pdf"
    else:
        raise Http404(f"Unknown export format {fmt!r}; use csv, xlsx or pdf.")
    record_event("training.report_exported", actor=request.user, request=request,
                 object_type="training.report", object_id=fmt,
                 detail={"format": fmt, "rows": len(rows)})
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="training-report-{stamp}.{fmt}"'
    return response
