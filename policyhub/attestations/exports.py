"""Campaign status exports: CSV, XLSX and a signed PDF report.

Exports are built by a task into a CampaignJob row, whose ``done`` counter
feeds the progress page while rows are written.
"""

import csv
import hashlib
import io
import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ..audit.services import record_event
from ..exports.signing import sign_pdf
from . import dashboard
from .campaigns import require_compliance_admin
from .models import CampaignJob

logger = logging.getLogger(__name__)

HEADER = [
    "Campaign", "Policy", "Version", "Employee number", "Name", "Email", "Department",
    "Manager", "Status", "Due date", "Completed at", "Days overdue",
]
ROW_CHUNK = 5000
# The PDF lists outstanding people up to this count; the CSV and XLSX list all.
PDF_MAX_OUTSTANDING = 5000


def request_export(campaign, kind, actor, request=None):
    """Queue an export of ``campaign`` and return its CampaignJob."""
    from .tasks import build_export_task

    require_compliance_admin(actor)
    if kind not in CampaignJob.Kind.values or kind == CampaignJob.Kind.LAUNCH:
        raise ValueError(f"Unknown export format {kind!r}; use csv, xlsx or pdf.")
    with transaction.atomic():
        job = CampaignJob.objects.create(campaign=campaign, kind=kind, requested_by=actor)
        record_event(
            "campaign.export_requested", actor=actor, obj=campaign, request=request,
            detail={"format": kind, "job": job.pk},
        )
        transaction.on_commit(lambda: build_export_task.delay(job.pk))
    return job


def status_rows(campaign, today=None):
    """Yield one list of cell values per counted assignment of ``campaign``."""
    today = today or timezone.localdate()
    scope = dashboard.Scope(everyone=True)
    assignments = dashboard.people(dashboard.counted_assignments(scope, campaign), today=today)
    for a in assignments.iterator(chunk_size=ROW_CHUNK):
        manager = a.user.manager
        yield [
            campaign.name,
            a.version.title,
            a.version.label,
            a.user.employee_number or "",
            a.user.get_full_name(),
            a.user.email,
            a.user.department,
            manager.get_full_name() if manager else "",
            a.get_status_display(),
            a.due_date.isoformat(),
            timezone.localtime(a.completed_at).strftime("%Y-%m-%d %H:%M") if a.completed_at else "",
            a.days_overdue(today) if a.status == a.Status.PENDING else 0,
        ]


def _progress(job, done):
    CampaignJob.objects.filter(pk=job.pk).update(done=done)


def _write_csv(job, handle):
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(HEADER)
    for count, row in enumerate(status_rows(job.campaign), start=1):
        writer.writerow([_safe_cell(value) for value in row])
        if count % ROW_CHUNK == 0:
            _progress(job, count)
    text.flush()
    text.detach()


def _safe_cell(value):
    """Prefix text a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write_xlsx(job, handle):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Status")
    sheet.append(HEADER)
    for count, row in enumerate(status_rows(job.campaign), start=1):
        sheet.append([_safe_cell(value) for value in row])
        if count % ROW_CHUNK == 0:
            _progress(job, count)
    workbook.save(handle)


def report_context(campaign, today=None):
    today = today or timezone.localdate()
    scope = dashboard.Scope(everyone=True)
    assignments = dashboard.counted_assignments(scope, campaign)
    outstanding = dashboard.people(assignments, today=today).filter(status="pending")
    return {
        "campaign": campaign,
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "generated_at": timezone.now(),
        "today": today,
        "totals": dashboard.totals(assignments, today),
        "departments": dashboard.by_department(assignments, today),
        "policies": dashboard.by_policy(assignments, today),
        "outstanding": list(outstanding[:PDF_MAX_OUTSTANDING]),
        "outstanding_limit": PDF_MAX_OUTSTANDING,
    }


def render_report_pdf(campaign):
    """Return the signed PDF bytes of the campaign status report."""
    from weasyprint import HTML

    context = report_context(campaign)
    html = render_to_string("attestations/campaign_report_pdf.html", context)
    unsigned = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    totals = context["totals"]
    return sign_pdf(
        unsigned,
        reason=f"Attestation status of campaign {campaign.pk} on "
        f"{context['today']:%Y-%m-%d}: {totals['completed']} of {totals['total']} complete",
    )


def build_export(job_id):
    """Build the file for one export job; a finished job is left as it is."""
    job = CampaignJob.objects.select_related("campaign").get(pk=job_id)
    if job.status == CampaignJob.Status.DONE:
        return job.pk
    total = dashboard.counted_assignments(dashboard.Scope(everyone=True), job.campaign).count()
    CampaignJob.objects.filter(pk=job.pk).update(
        status=CampaignJob.Status.RUNNING, total=total, done=0
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"campaign-{job.campaign_id}-{stamp}.{job.kind}"
    try:
        if job.kind == CampaignJob.Kind.EXPORT_PDF:
            job.file.save(filename, ContentFile(render_report_pdf(job.campaign)), save=False)
        else:
            with tempfile.TemporaryFile() as handle:
                writer = _write_csv if job.kind == CampaignJob.Kind.EXPORT_CSV else _write_xlsx
                writer(job, handle)
                handle.seek(0)
                job.file.save(filename, File(handle), save=False)
    except Exception as exc:
        CampaignJob.objects.filter(pk=job.pk).update(
            status=CampaignJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
        )
        logger.exception("Export job %s failed", job.pk)
        raise
    CampaignJob.objects.filter(pk=job.pk).update(
        file=job.file.name, status=CampaignJob.Status.DONE, done=total,
        finished_at=timezone.now(),
    )
    with job.file.open("rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    record_event(
        "campaign.exported", obj=job.campaign, system_actor="system",
        detail={"format": job.kind, "job": job.pk, "sha256": digest},
    )
    return job.pk
