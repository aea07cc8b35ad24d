"""The compliance report as CSV, XLSX and a signed PDF."""

import csv
import io

from django.conf import settings
from django.template.loader import render_to_string
from openpyxl import Workbook
from weasyprint import HTML

from ..exports.signing import sign_pdf

COLUMNS = [
    ("person", "Person"), ("email", "Email"), ("department", "Department"),
    ("module", "Module"), ("status", "Status"), ("cycle", "Cycle"),
    ("due_date", "Due date"), ("valid_until", "Valid until"), ("overdue", "Overdue"),
    ("attempts_exhausted", "Attempts used up"),
]
PHISHING_COLUMNS = [
    ("person", "Person"), ("email", "Email"), ("department", "Department"),
    ("clicked", "Clicked"), ("submitted_credentials", "Submitted credentials"),
    ("reported", "Reported"), ("failed", "Failed"),
    ("followup_due_date", "Follow-up due"), ("followup_status", "Follow-up status"),
]
SUSPENSION_COLUMNS = [
    ("email", "Email"), ("employee_number", "Employee number"), ("person", "Person"),
    ("department", "Department"), ("started_at", "Suspended at"), ("reason", "Reason"),
]
# Cells starting with these characters are read as formulas by spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(rows, columns=COLUMNS):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([_cell(row[key]) for key, _ in columns])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Training"
    sheet.append([label for _, label in COLUMNS])
    for row in rows:
        sheet.append([_cell(row[key]) for key, _ in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_signed_pdf(context):
    html = render_to_string("training/report_pdf.html", {
        **context, "organisation": settings.POLICYHUB_ORGANISATION_NAME,
    })
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return sign_pdf(pdf, reason="Training completion report")
