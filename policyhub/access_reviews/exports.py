"""The result of an access review as CSV and as a signed PDF report."""

import csv
import hashlib
import io

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from ..attestations.exports import _safe_cell
from ..audit.services import record_event
from ..exports.signing import sign_pdf
from .models import ReviewItem
from .services import outcome_counts, require_compliance_admin

HEADER = [
    "Period",
    "Person",
    "Email",
    "Department",
    "Reviewer",
    "Right type",
    "Right",
    "Result",
    "Reason",
    "Decided by",
    "Decided at",
    "Right removed at",
]
RESULTS = {
    ReviewItem.Decision.KEEP: "Certified: keep",
    ReviewItem.Decision.REVOKE: "Revoked",
    ReviewItem.Decision.PENDING: "Not certified",
    ReviewItem.Decision.CLOSED: "Closed: account deactivated",
}


def result_items(review):
    return (
        ReviewItem.objects.filter(review=review)
        .select_related("subject", "reviewer", "decided_by")
        .order_by("subject__last_name", "subject__first_name", "subject_id", "right_label")
    )


def _when(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def result_rows(review):
    """Yield one list of cell values per item of ``review``."""
    for item in result_items(review).iterator(chunk_size=2000):
        yield [
            review.period,
            item.subject.get_full_name() or item.subject.email,
            item.subject.email,
            item.subject.department,
            str(item.reviewer) if item.reviewer else "Compliance admins",
            item.get_kind_display(),
            item.right_label,
            RESULTS[item.decision],
            item.reason,
            str(item.decided_by) if item.decided_by else "",
            _when(item.decided_at),
            _when(item.applied_at),
        ]


def _record_export(review, kind, data, actor, request):
    record_event(
        "access_review.exported",
        actor=actor,
        obj=review,
        request=request,
        detail={"format": kind, "sha256": hashlib.sha256(data).hexdigest()},
    )


def export_csv(review, actor, request=None):
    """Return the CSV bytes of every item of ``review`` and record the export."""
    require_compliance_admin(actor)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    for row in result_rows(review):
        writer.writerow([_safe_cell(value) for value in row])
    data = text.getvalue().encode("utf-8")
    _record_export(review, "csv", data, actor, request)
    return data


def report_context(review):
    items = list(result_items(review))
    for item in items:
        item.result = RESULTS[item.decision]
    return {
        "review": review,
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "generated_at": timezone.now(),
        "counts": review.outcome if not review.is_open else outcome_counts(review),
        "decided": [i for i in items if i.decision != ReviewItem.Decision.PENDING],
        "not_certified": [i for i in items if i.decision == ReviewItem.Decision.PENDING],
    }


def export_pdf(review, actor, request=None):
    """Return the signed PDF report of ``review`` and record the export.

    Undecided items are listed as not certified. The signature's reason
    carries the period and the counts, so a verifier reads them without
    opening the report.
    """
    require_compliance_admin(actor)
    context = report_context(review)
    html = render_to_string("access_reviews/report_pdf.html", context)
    unsigned = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    counts = context["counts"]
    data = sign_pdf(
        unsigned,
        reason=f"Access review {review.period} ({review.get_status_display().lower()}): "
        f"{counts['kept']} kept, {counts['revoked']} revoked, "
        f"{counts['not_certified']} not certified of {counts['items']}",
    )
    _record_export(review, "pdf", data, actor, request)
    return data
