"""Simulated phishing exercises: record them, import the simulation tool's
results CSV and assign follow-up training to the people who failed.

An import is all or nothing: any invalid row rejects the whole file with one
message per problem, naming the row, the column and the value. The same file
imported twice is recognised by its SHA-256 and changes nothing.
"""

import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ...audit.models import Outcome
from ...audit.services import record_event
from ..models import PhishingExercise, PhishingImport, PhishingResult, TrainingAssignment
from ..permissions import is_compliance_admin

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 20
REQUIRED_COLUMNS = ("email", "clicked", "reported", "submitted_credentials")
# Header spellings of the simulation tools' exports, mapped to the column names.
COLUMN_ALIASES = {
    "email_address": "email",
    "e_mail": "email",
    "link_clicked": "clicked",
    "reported_phish": "reported",
    "credentials_submitted": "submitted_credentials",
    "submitted_data": "submitted_credentials",
}
TRUE_VALUES = {"yes", "y", "true", "1"}
FALSE_VALUES = {"no", "n", "false", "0"}


class PhishingImportError(ValidationError):
    """The results file was rejected; ``messages`` lists every problem found."""


@dataclass(frozen=True)
class ParsedRow:
    line: int
    user_id: int
    clicked: bool
    reported: bool
    submitted_credentials: bool


def create_exercise(
    actor, *, name, sent_on, theme, followup_module, followup_due_in_days, request=None
):
    """Record a phishing exercise; return it."""
    if not is_compliance_admin(actor):
        raise PermissionDenied("Only compliance administrators can record phishing exercises.")
    if sent_on > timezone.localdate():
        raise ValidationError(
            f"Sent on {sent_on:%d %b %Y} is in the future; record the exercise once it is sent."
        )
    exercise = PhishingExercise(
        name=name.strip(),
        sent_on=sent_on,
        theme=theme.strip(),
        followup_module=followup_module,
        followup_due_in_days=followup_due_in_days,
        created_by=actor,
    )
    exercise.full_clean()
    exercise._history_user = actor
    exercise.save()
    record_event(
        "training.phishing_exercise_created",
        actor=actor,
        obj=exercise,
        request=request,
        detail={
            "name": exercise.name[:100],
            "sent_on": sent_on.isoformat(),
            "followup_module": followup_module.slug,
        },
    )
    return exercise


def _column_name(header):
    name = header.strip().lower().replace(" ", "_").replace("-", "_")
    return COLUMN_ALIASES.get(name, name)


def _decode(content):
    if len(content) > MAX_FILE_BYTES:
        raise PhishingImportError(
            f"The file is {len(content)} bytes; the limit is {MAX_FILE_BYTES} bytes. "
            "Split the export and import each part."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PhishingImportError(
            f"The file is not UTF-8 text (invalid byte at position {exc.start}); export "
            "the results as CSV in UTF-8."
        ) from exc


def _header(reader):
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise PhishingImportError(
            "The file is empty; it needs a header row with the columns "
            f"{', '.join(REQUIRED_COLUMNS)}."
        )
    columns = [_column_name(cell) for cell in header]
    seen = set()
    for position, column in enumerate(columns, start=1):
        if column in seen and column in REQUIRED_COLUMNS:
            raise PhishingImportError(
                f"Header column {position} repeats {column!r}; keep one column of that name."
            )
        seen.add(column)
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        raise PhishingImportError(
            f"Missing column {', '.join(map(repr, missing))}; the header has "
            f"{', '.join(map(repr, header))}. Required: {', '.join(REQUIRED_COLUMNS)}."
        )
    return {column: columns.index(column) for column in REQUIRED_COLUMNS}


def _flag(value, line, column, errors):
    text = value.strip().lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    errors.append(
        f"Row {line}, column {column!r}: {value!r} is not a yes/no value; "
        "use yes, no, true, false, 1 or 0."
    )
    return None


def parse_results(content):
    """Return the rows of a results CSV as ``ParsedRow`` objects, or raise
    PhishingImportError listing every problem."""
    text = _decode(content)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise PhishingImportError(f"The file is not valid CSV: {exc}.") from exc
    reader = iter(rows)
    positions = _header(reader)
    people = {
        email.lower(): pk
        for pk, email in get_user_model().objects.filter(is_active=True).values_list("pk", "email")
    }
    parsed, errors, first_line = [], [], {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < len(rows[0]):
            errors.append(f"Row {line} has {len(cells)} cells; the header has {len(rows[0])}.")
            continue
        row = _parse_row(line, cells, positions, people, first_line, errors)
        if row is not None:
            parsed.append(row)
    if not parsed and not errors:
        errors.append("The file has a header but no result rows.")
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > MAX_ERRORS_SHOWN:
            shown.append(f"… and {len(errors) - MAX_ERRORS_SHOWN} more problems.")
        raise PhishingImportError(shown)
    return parsed


def _parse_row(line, cells, positions, people, first_line, errors):
    email = cells[positions["email"]].strip()
    user_id = people.get(email.lower())
    if not email:
        errors.append(f"Row {line}, column 'email': the value is empty; give the person's email.")
    elif user_id is None:
        errors.append(
            f"Row {line}, column 'email': {email!r} is not the email of an active person "
            "in PolicyHub; correct it or remove the row."
        )
    elif user_id in first_line:
        errors.append(
            f"Row {line}, column 'email': {email!r} already appears on row "
            f"{first_line[user_id]}; keep one row per person."
        )
    else:
        first_line[user_id] = line
    flags = {
        column: _flag(cells[positions[column]], line, column, errors)
        for column in ("clicked", "reported", "submitted_credentials")
    }
    if flags["submitted_credentials"] and flags["clicked"] is False:
        errors.append(
            f"Row {line}: 'submitted_credentials' is yes but 'clicked' is no; credentials "
            "can only be submitted after clicking. Correct one of the two values."
        )
    if user_id is None or None in flags.values() or first_line.get(user_id) != line:
        return None
    return ParsedRow(line=line, user_id=user_id, **flags)


def import_results(actor, exercise, file_name, content, request=None):
    """Import a results file for ``exercise``; return (import, created).

    A file already imported for the exercise returns its first import. New
    failures get the exercise's follow-up module, once per person.
    """
    if not is_compliance_admin(actor):
        raise PermissionDenied("Only compliance administrators can import phishing results.")
    sha256 = hashlib.sha256(content).hexdigest()
    previous = PhishingImport.objects.filter(exercise=exercise, file_sha256=sha256).first()
    if previous is not None:
        return previous, False
    try:
        rows = parse_results(content)
    except PhishingImportError as exc:
        record_event(
            "training.phishing_import_rejected",
            actor=actor,
            obj=exercise,
            request=request,
            outcome=Outcome.FAILURE,
            detail={"file": file_name[:100], "sha256": sha256, "problems": len(exc.messages)},
        )
        raise
    try:
        with transaction.atomic():
            batch = _store(actor, exercise, file_name, sha256, rows, request)
    except IntegrityError:
        # The same file was imported concurrently, and that import is kept.
        previous = PhishingImport.objects.filter(exercise=exercise, file_sha256=sha256).first()
        if previous is None:
            raise
        return previous, False
    return batch, True


def _store(actor, exercise, file_name, sha256, rows, request):
    # One import per exercise at a time, so two files never race on a result.
    PhishingExercise.objects.select_for_update().filter(pk=exercise.pk).first()
    batch = PhishingImport.objects.create(
        exercise=exercise,
        file_name=file_name[:255],
        file_sha256=sha256,
        rows=len(rows),
        results_created=0,
        results_changed=0,
        followups_assigned=0,
        imported_by=actor,
    )
    existing = {result.user_id: result for result in exercise.results.all()}
    for row in rows:
        result = existing.get(row.user_id)
        values = (row.clicked, row.reported, row.submitted_credentials)
        if result is None:
            result = PhishingResult(exercise=exercise, user_id=row.user_id)
            batch.results_created += 1
        elif (result.clicked, result.reported, result.submitted_credentials) == values:
            continue
        else:
            batch.results_changed += 1
        result.clicked, result.reported, result.submitted_credentials = values
        result.source = batch
        result._history_user = actor
        result._change_reason = f"Imported from {file_name}"[:100]
        result.save()
        if result.failed and result.followup_assigned_at is None:
            assign_followup(result, actor)
            batch.followups_assigned += 1
    batch.save(update_fields=["results_created", "results_changed", "followups_assigned"])
    record_event(
        "training.phishing_imported",
        actor=actor,
        obj=batch,
        request=request,
        detail={
            "exercise": exercise.pk,
            "file": file_name[:100],
            "sha256": sha256,
            "rows": len(rows),
            "created": batch.results_created,
            "changed": batch.results_changed,
            "followups": batch.followups_assigned,
        },
    )
    return batch


def assign_followup(result, actor):
    """Assign the exercise's follow-up module to the person of a failed
    result, due ``followup_due_in_days`` from today; return the assignment.

    A person who has the module already gets it reopened as a new cycle
    when completed, or an earlier due date when open.
    """
    exercise = result.exercise
    due = timezone.localdate() + timedelta(days=exercise.followup_due_in_days)
    reason = f"Failed phishing exercise {exercise.name}"[:100]
    row = (
        TrainingAssignment.objects.select_for_update()
        .filter(user_id=result.user_id, module_id=exercise.followup_module_id)
        .first()
    )
    if row is None:
        row = TrainingAssignment(
            user_id=result.user_id,
            module_id=exercise.followup_module_id,
            due_date=due,
            recurring=False,
        )
    elif row.status == TrainingAssignment.Status.OPEN:
        row.due_date = min(row.due_date, due)
    else:
        if row.status == TrainingAssignment.Status.CANCELLED:
            row.recurring = False
        row.start_new_cycle(due)
    row._history_user = actor
    row._change_reason = reason
    row.save()
    result.followup_assignment = row
    result.followup_assigned_at = timezone.now()
    result._history_user = actor
    result._change_reason = reason
    result.save(update_fields=["followup_assignment", "followup_assigned_at"])
    record_event(
        "training.followup_assigned",
        actor=actor,
        obj=row,
        detail={
            "exercise": exercise.pk,
            "module": exercise.followup_module_id,
            "user": result.user_id,
            "due_date": row.due_date.isoformat(),
            "cycle": row.cycle,
        },
    )
    return row
