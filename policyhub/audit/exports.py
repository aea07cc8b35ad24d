"""CSV and signed PDF extracts of the audit trail and of log reviews."""

import csv
import json

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from ..exports.signing import sign_pdf

CSV_COLUMNS = (
    "id",
    "occurred_at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "ip_address",
    "request_id",
    "detail",
    "previous_hash",
    "event_hash",
)
# A spreadsheet runs a cell starting with these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    if isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_rows(events):
    """Yield the CSV lines of ``events`` one at a time, header first."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events:
        yield writer.writerow(
            [
                _cell(
                    event.occurred_at.isoformat() if name == "occurred_at" else getattr(event, name)
                )
                for name in CSV_COLUMNS
            ]
        )


def _render_signed(template, context, reason):
    context = {
        **context,
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "generated_at": timezone.now(),
    }
    html = render_to_string(template, context)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return sign_pdf(pdf, reason)


def extract_pdf(events, date_from, date_to, requested_by):
    """Return a signed PDF listing ``events`` for the date range."""
    return _render_signed(
        "audit/extract_pdf.html",
        {
            "events": events,
            "date_from": date_from,
            "date_to": date_to,
            "requested_by": requested_by,
        },
        f"Audit trail extract {date_from} to {date_to}",
    )


def review_pdf(review, events):
    """Return the signed PDF record of a signed-off log review."""
    return _render_signed(
        "audit/review_pdf.html",
        {"review": review, "events": events},
        f"Log review {review.pk} signed off",
    )
