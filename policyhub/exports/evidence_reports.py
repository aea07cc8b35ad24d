"""Add attestation campaign and training reports to evidence packs.

Each campaign and each training module gets a CSV of every person's status
and the signed PDF report that compliance administrators download from the
portal, built by the same code. The figures are those at build time, the
time the manifest records as ``generated_at``.
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from .evidence import period_bounds, register_section


def campaigns_for(pack):
    """Return the pack's chosen campaigns, or those running at some time in its period."""
    from ..attestations.models import Campaign

    campaigns = Campaign.objects.filter(launched_at__isnull=False)
    if pack.campaign_ids:
        return campaigns.filter(pk__in=pack.campaign_ids).order_by("pk")
    start, end = period_bounds(pack)
    running = Q(launched_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=start))
    return campaigns.filter(running).order_by("pk")


def modules_for(pack):
    """Return the pack's chosen training modules, or every module with an assignment."""
    from ..training.models import TrainingAssignment, TrainingModulePage

    modules = TrainingModulePage.objects.all()
    if pack.training_module_ids:
        return modules.filter(pk__in=pack.training_module_ids).order_by("pk")
    assigned = TrainingAssignment.objects.exclude(
        status=TrainingAssignment.Status.CANCELLED
    ).values("module_id")
    return modules.filter(pk__in=assigned).order_by("pk")


def _campaign_section(pack, writer, actor):
    from ..attestations.exports import HEADER, _safe_cell, render_report_pdf, status_rows

    for campaign in campaigns_for(pack):
        folder = f"campaigns/{campaign.pk}-{slugify(campaign.name)[:60]}"
        writer.add_csv(
            f"{folder}/status.csv",
            HEADER,
            ([_safe_cell(value) for value in row] for row in status_rows(campaign)),
        )
        writer.add_bytes(f"{folder}/report-signed.pdf", render_report_pdf(campaign))


def _training_section(pack, writer, actor):
    from ..training import exports, reports

    today = timezone.localdate()
    for module in modules_for(pack):
        report_filter = reports.ReportFilter(module_id=module.pk)
        folder = f"training/{module.slug}"
        writer.add_csv(
            f"{folder}/status.csv",
            [label for _, label in exports.COLUMNS],
            (
                [exports._cell(row[key]) for key, _ in exports.COLUMNS]
                for row in reports.iter_detail_rows(report_filter, today)
            ),
        )
        # NOTE: the PDF lists every assignment of the module, as the portal's
        # report does, so its size grows with the module's audience.
        pdf = exports.to_signed_pdf(
            {
                "rows": reports.detail_rows(report_filter, today),
                "today": today,
                "filter": report_filter,
                "by_module": reports.by_module(report_filter, today),
            }
        )
        writer.add_bytes(f"{folder}/report-signed.pdf", pdf)


register_section("campaigns", "Attestation campaign reports", _campaign_section)
register_section("training", "Training reports per module", _training_section)
