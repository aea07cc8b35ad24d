"""Auditor workspace: the as-of view and version comparison."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from ..audit.services import record_event
from ..exports.views import DOWNLOAD_PERMISSION
from ..procedures.asof import runs_on
from ..training.asof import training_on
from .asof import active_users_on, end_of_day, policies_in_force
from .auditor_forms import AsOfForm, CompareForm
from .auditor_reports import as_of_pdf, redline_pdf
from .models import PolicyPage
from .redline import compare_html, summarise


def _require_auditor(user):
    if not user.has_perm(DOWNLOAD_PERMISSION):
        raise PermissionDenied("Only auditors and compliance admins use the auditor workspace.")


def _pdf_response(data, filename):
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def as_of(request):
    """What was in force on a date, who approved it, who had acknowledged it."""
    _require_auditor(request.user)
    form = AsOfForm(request.GET or None)
    entries, training, day, procedure_runs = None, None, None, None
    slug = request.GET.get("policy") or None
    module_slug = request.GET.get("module") or None
    status = 200
    if request.GET:
        if form.is_valid():
            day = form.cleaned_data["date"]
            entries = policies_in_force(day, slug=slug)
            cutoff = end_of_day(day)
            training = training_on(day, cutoff, active_users_on(cutoff), module_slug)
            procedure_runs = runs_on(day, slug=slug)
            scope = {"date": day.isoformat(), "policy": slug or "", "module": module_slug or ""}
            record_event("auditor.as_of_viewed", actor=request.user, request=request, detail=scope)
            if request.GET.get("format") == "pdf":
                record_event(
                    "export.as_of_pdf_downloaded", actor=request.user, request=request,
                    detail=scope,
                )
                pdf = as_of_pdf(
                    day, entries, detailed=bool(slug), training=training,
                    training_detailed=bool(module_slug),
                )
                return _pdf_response(pdf, f"as-of-{day:%Y-%m-%d}.pdf")
        else:
            status = 400
    return TemplateResponse(
        request,
        "policies/auditor/as_of.html",
        {
            "form": form,
            "entries": entries,
            "training": training,
            "procedure_runs": procedure_runs,
            "day": day,
            "slug": slug,
            "module_slug": module_slug,
        },
        status=status,
    )


def _chosen_view(form):
    if form.is_bound and form.is_valid():
        return form.cleaned_data.get("view") or "inline"
    return "inline"


@login_required
def compare(request, slug):
    """Inline or side-by-side redline between two versions of a policy."""
    policy = get_object_or_404(PolicyPage, slug=slug, live=True)
    versions = list(policy.versions.order_by("major", "minor"))
    initial = {}
    if len(versions) >= 2:
        initial = {"old": versions[-2].label, "new": versions[-1].label}
    form = CompareForm(request.GET or initial, versions=versions)
    rows, older, newer, status = None, None, None, 200
    if len(versions) >= 2 and form.is_valid():
        older, newer = form.cleaned_data["older"], form.cleaned_data["newer"]
        rows = compare_html(older.html_snapshot, newer.html_snapshot)
        if request.GET.get("format") == "pdf":
            _require_auditor(request.user)
            record_event(
                "export.redline_pdf_downloaded", actor=request.user, obj=newer,
                request=request, detail={"old": older.label, "new": newer.label},
            )
            return _pdf_response(
                redline_pdf(older, newer, rows),
                f"{slug}-{older.label}-to-{newer.label}-redline.pdf",
            )
    elif request.GET:
        status = 400
    return TemplateResponse(
        request,
        "policies/auditor/compare.html",
        {
            "policy": policy,
            "versions": versions,
            "form": form,
            "rows": rows,
            "counts": summarise(rows) if rows is not None else {},
            "older": older,
            "newer": newer,
            "view": _chosen_view(form),
            "approvals": newer.approvals.select_related("approved_by") if newer else [],
            "can_download": request.user.has_perm(DOWNLOAD_PERMISSION),
        },
        status=status,
    )
