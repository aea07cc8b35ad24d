"""Portal pages for simulated phishing exercises: list, record, import
results, report and export. Compliance administrators only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ..audit.services import record_event
from . import exports, phishing_reports
from .forms import PhishingExerciseForm, PhishingImportForm
from .models import PhishingExercise
from .permissions import require_compliance_admin
from .services.phishing import MAX_FILE_BYTES, PhishingImportError, create_exercise, import_results


@login_required
def exercise_list(request):
    require_compliance_admin(request.user, "see and import phishing exercises")
    return render(
        request,
        "training/phishing_list.html",
        {
            "exercises": phishing_reports.exercises(),
            "cadence": phishing_reports.cadence(timezone.localdate()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def exercise_create(request):
    require_compliance_admin(request.user, "see and import phishing exercises")
    form = PhishingExerciseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            exercise = create_exercise(request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Exercise {exercise.name} recorded; import its results.")
            return redirect("training:phishing_exercise", exercise_id=exercise.pk)
    return render(
        request, "training/phishing_form.html", {"form": form}, status=400 if form.errors else 200
    )


def _exercise_page(request, exercise, form, errors=(), status=200):
    return render(
        request,
        "training/phishing_exercise.html",
        {
            "exercise": exercise,
            "form": form,
            "errors": errors,
            "summary": phishing_reports.summary(exercise),
            "by_department": phishing_reports.by_department(exercise),
            "imports": list(exercise.imports.select_related("imported_by")),
        },
        status=status,
    )


@login_required
def exercise_detail(request, exercise_id):
    require_compliance_admin(request.user, "see and import phishing exercises")
    exercise = get_object_or_404(
        PhishingExercise.objects.select_related("followup_module"), pk=exercise_id
    )
    return _exercise_page(request, exercise, PhishingImportForm())


@login_required
@require_POST
def exercise_import(request, exercise_id):
    require_compliance_admin(request.user, "see and import phishing exercises")
    exercise = get_object_or_404(
        PhishingExercise.objects.select_related("followup_module"), pk=exercise_id
    )
    form = PhishingImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _exercise_page(request, exercise, form, status=400)
    upload = form.cleaned_data["results"]
    if upload.size > MAX_FILE_BYTES:
        errors = [
            f"The file is {upload.size} bytes; the limit is {MAX_FILE_BYTES} bytes. "
            "Split the export and import each part."
        ]
        return _exercise_page(request, exercise, form, errors, status=400)
    try:
        batch, created = import_results(
            request.user, exercise, upload.name, upload.read(), request=request
        )
    except PhishingImportError as exc:
        return _exercise_page(request, exercise, form, exc.messages, status=400)
    if created:
        messages.success(
            request,
            f"Imported {batch.rows} results from {batch.file_name}: "
            f"{batch.results_created} new, {batch.results_changed} changed, "
            f"{batch.followups_assigned} follow-up assignments.",
        )
    else:
        messages.info(
            request,
            f"This file was already imported on "
            f"{batch.imported_at:%d %b %Y %H:%M}; nothing changed.",
        )
    return redirect("training:phishing_exercise", exercise_id=exercise.pk)


@login_required
def exercise_export(request, exercise_id):
    require_compliance_admin(request.user, "see and import phishing exercises")
    exercise = get_object_or_404(PhishingExercise, pk=exercise_id)
    rows = phishing_reports.result_rows(exercise)
    record_event(
        "training.phishing_exported",
        actor=request.user,
        obj=exercise,
        request=request,
        detail={"rows": len(rows)},
    )
    response = HttpResponse(
        exports.to_csv(rows, exports.PHISHING_COLUMNS), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="phishing-exercise-{exercise.pk}-{exercise.sent_on}.csv"'
    )
    return response
