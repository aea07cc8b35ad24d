"""Signed PDFs of the auditor workspace: as-of reports and redlines."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from ..exports.signing import sign_pdf


def _render_signed(template, context, reason):
    context = {
        **context,
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "generated_at": timezone.now(),
    }
    html = render_to_string(template, context)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return sign_pdf(pdf, reason=reason)


def as_of_pdf(day, entries, detailed=False, training=(), training_detailed=False):
    return _render_signed(
        "policies/auditor/as_of_pdf.html",
        {
            "day": day,
            "entries": entries,
            "detailed": detailed,
            "training": training,
            "training_detailed": training_detailed,
        },
        reason=f"Policies in force and training current on {day:%Y-%m-%d}",
    )


def redline_pdf(older, newer, rows):
    return _render_signed(
        "policies/auditor/redline_pdf.html",
        {
            "older": older,
            "newer": newer,
            "rows": rows,
            "approvals": newer.approvals.select_related("approved_by"),
        },
        reason=f"Changes from {older.title} {older.label} to {newer.label}",
    )
