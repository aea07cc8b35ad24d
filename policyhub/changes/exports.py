"""Change records as signed PDFs and change lists as CSV and XLSX."""

import csv
import io

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from weasyprint import HTML

from ..exports.signing import sign_pdf

COLUMNS = [
    "Reference", "Title", "Type", "State", "Risk", "Impact", "Likelihood", "Systems",
    "Requester", "Implementer", "Planned start", "Planned end", "Approved or rejected",
    "Implemented", "Close code", "Retrospective due", "Retrospective overdue",
]


def change_rows(changes):
    """Yield one list of cell values per change, in COLUMNS order."""
    for change in changes:
        yield [
            change.reference,
            change.title,
            change.get_change_type_display(),
            change.get_state_display(),
            change.get_risk_display(),
            change.get_impact_display(),
            change.get_likelihood_display(),
            ", ".join(system.name for system in change.systems.all()),
            str(change.requester),
            str(change.implementer or ""),
            _local(change.planned_start),
            _local(change.planned_end),
            _local(change.decided_at),
            _local(change.implemented_at),
            change.get_close_code_display(),
            change.retrospective_due_on.isoformat() if change.retrospective_due_on else "",
            "yes" if change.retrospective_overdue else "no",
        ]


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _safe_cell(value):
    # A leading =, +, - or @ would make a spreadsheet evaluate the text as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def changes_csv(changes):
    """Return the changes as UTF-8 CSV text with a header row."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(COLUMNS)
    for row in change_rows(changes):
        writer.writerow([_safe_cell(value) for value in row])
    return output.getvalue()


def changes_xlsx(changes):
    """Return the changes as the bytes of an XLSX workbook with one sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Changes"
    sheet.append(COLUMNS)
    for row in change_rows(changes):
        sheet.append([_safe_cell(value) for value in row])
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def change_record_context(change):
    return {
        "change": change,
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "history": change.history.select_related("history_user").order_by("history_date"),
        "votes": change.votes.select_related("member", "cast_by").order_by("round", "cast_at"),
        "attachments": change.attachments.select_related("uploaded_by"),
        "generated_at": timezone.now(),
    }


def signed_change_record_pdf(change):
    """Return the signed PDF of ``change`` with its whole history and votes."""
    html = render_to_string("changes/change_record_pdf.html", change_record_context(change))
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return sign_pdf(pdf, reason=f"Change record {change.reference}")


def signed_agenda_pdf(meeting):
    """Return the signed PDF agenda of a CAB meeting (see ``views.meeting``)."""
    html = render_to_string(
        "changes/agenda_pdf.html",
        {**meeting, "organisation": settings.POLICYHUB_ORGANISATION_NAME,
         "generated_at": timezone.now()},
    )
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return sign_pdf(pdf, reason=f"CAB agenda for {meeting['meeting_at']:%Y-%m-%d}")
