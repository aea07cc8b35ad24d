"""Portal pages for campaigns: the compliance dashboard, drill-down, launch,
extensions, exports and the progress of background jobs.

Views check the requesting user with ``dashboard.scope_for`` or the
services' permission checks. The rules live in the services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from . import dashboard
from .campaigns import close_campaign, create_campaign, extend_due_date, require_compliance_admin
from .charts import bar_chart
from .exports import request_export
from .forms import CampaignForm, ExtensionForm
from .models import Assignment, Campaign, CampaignJob

PAGE_SIZE = 50
PEOPLE_STATUSES = ("completed", "pending", "overdue")


EXPORT_KINDS = [
    (CampaignJob.Kind.EXPORT_CSV, "Export CSV"),
    (CampaignJob.Kind.EXPORT_XLSX, "Export Excel"),
    (CampaignJob.Kind.EXPORT_PDF, "Signed PDF report"),
]


def _named(rows, name_key, link=None):
    """Add the ``name`` and optional ``link`` the rates table shows."""
    for row in rows:
        row["name"] = row[name_key] or "No department"
        row["link"] = link(row) if link else ""
    return rows


def _page(request, queryset):
    return dashboard.SeekPage(queryset, request.GET.get("page"), PAGE_SIZE)


@login_required
def overview(request):
    """Completion per campaign, policy and department, and the overdue list."""
    scope = dashboard.scope_for(request.user)
    today = timezone.localdate()
    figures = dashboard.summary(scope, today=today)
    departments = figures["departments"]
    return render(
        request,
        "attestations/dashboard.html",
        {
            "scope": scope,
            "today": today,
            "as_of": figures["as_of"],
            "totals": figures["totals"],
            "campaigns": _named(
                figures["campaigns"], "campaign__name",
                lambda row: reverse("campaigns:detail", args=[row["campaign_id"]]),
            ),
            "policies": _named(figures["policies"], "title"),
            "departments": _named(departments, "user__department"),
            "chart": bar_chart(
                [(row["user__department"] or "No department", row["rate"]) for row in departments]
            ),
            "overdue": _page(
                request, dashboard.overdue(dashboard.counted_assignments(scope), today)
            ),
        },
    )


def _campaign_in_scope(request, campaign_id):
    scope = dashboard.scope_for(request.user)
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return scope, campaign


@login_required
def campaign_detail(request, campaign_id):
    scope, campaign = _campaign_in_scope(request, campaign_id)
    today = timezone.localdate()
    figures = dashboard.summary(scope, campaign, today)
    departments = figures["departments"]
    return render(
        request,
        "attestations/campaign_detail.html",
        {
            "scope": scope,
            "campaign": campaign,
            "today": today,
            "as_of": figures["as_of"],
            "totals": figures["totals"],
            "policies": _named(figures["policies"], "title"),
            "departments": _named(
                departments, "user__department",
                lambda row: reverse("campaigns:people", args=[campaign.pk])
                + "?" + urlencode({"department": row["user__department"]}),
            ),
            "export_kinds": EXPORT_KINDS,
            "chart": bar_chart(
                [(row["user__department"] or "No department", row["rate"]) for row in departments]
            ),
            "overdue": _page(
                request, dashboard.overdue(dashboard.counted_assignments(scope, campaign), today)
            ),
            "jobs": campaign.jobs.all()[:5] if scope.everyone else [],
        },
    )


@login_required
def campaign_people(request, campaign_id):
    """Drill-down: the people of a campaign, by department and status."""
    scope, campaign = _campaign_in_scope(request, campaign_id)
    department = request.GET.get("department")
    status = request.GET.get("status") or None
    if status is not None and status not in PEOPLE_STATUSES:
        raise Http404(f"Unknown status {status!r}; use completed, pending or overdue.")
    assignments = dashboard.people(
        dashboard.counted_assignments(scope, campaign), department=department, status=status
    )
    return render(
        request,
        "attestations/campaign_people.html",
        {
            "scope": scope,
            "campaign": campaign,
            "department": department,
            "status": status,
            "today": timezone.localdate(),
            "page_obj": _page(request, assignments),
            "extra_query": urlencode(
                {k: v for k, v in (("department", department), ("status", status)) if v is not None}
            ),
        },
    )


@login_required
def team(request):
    """Redirect a line manager to the dashboard, which shows only their team."""
    if not request.user.reports.exists():
        raise PermissionDenied("This page lists your direct reports; you have none.")
    return redirect("campaigns:overview")


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    require_compliance_admin(request.user)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = create_campaign(
                request.user,
                name=data["name"],
                versions=data["versions"],
                due_date=data["due_date"],
                audience=data["audience"],
                groups=data["groups"],
                departments=data["departments"],
                users=data["people"],
                grace_days=data["grace_days"],
                request=request,
                token=data["token"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("campaigns:job", job_id=job.pk)
    return render(request, "attestations/campaign_form.html", {"form": form})


@login_required
@require_POST
def campaign_close(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    close_campaign(campaign, request.user, request=request)
    messages.success(request, f"Campaign {campaign.name} is closed; reminders have stopped.")
    return redirect("campaigns:detail", campaign_id=campaign.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_extend(request, assignment_id):
    require_compliance_admin(request.user)
    assignment = get_object_or_404(
        Assignment.objects.select_related("user", "version", "campaign"), pk=assignment_id
    )
    form = ExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            extend_due_date(
                assignment, form.cleaned_data["new_due_date"], form.cleaned_data["reason"],
                request.user, request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{assignment.user} now has until "
                f"{form.cleaned_data['new_due_date']:%d %b %Y} for {assignment.version}.",
            )
            return redirect("campaigns:detail", campaign_id=assignment.campaign_id)
    return render(
        request,
        "attestations/assignment_extend.html",
        {"form": form, "assignment": assignment,
         "extensions": assignment.extensions.select_related("granted_by")},
    )


@login_required
@require_POST
def campaign_export(request, campaign_id, kind):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        job = request_export(campaign, kind, request.user, request=request)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    return redirect("campaigns:job", job_id=job.pk)


def _job_for(request, job_id):
    job = get_object_or_404(CampaignJob.objects.select_related("campaign"), pk=job_id)
    if job.requested_by_id != request.user.pk:
        require_compliance_admin(request.user)
    return job


@login_required
def job_progress(request, job_id):
    """Progress of a launch or export; refreshes itself until the job ends."""
    job = _job_for(request, job_id)
    return render(request, "attestations/job_progress.html", {"job": job})


@login_required
def job_download(request, job_id):
    job = _job_for(request, job_id)
    require_compliance_admin(request.user)
    if job.status != CampaignJob.Status.DONE or not job.file:
        raise Http404("This export is not ready; wait for the progress page to finish.")
    names = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument."
             "spreadsheetml.sheet", "pdf": "application/pdf"}
    filename = f"campaign-{job.campaign_id}-status.{job.kind}"
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=filename,
        content_type=names.get(job.kind, "application/octet-stream"),
    )

