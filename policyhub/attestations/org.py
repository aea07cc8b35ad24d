"""Reporting lines: each person's department, line manager and employee number.

A manager can view their direct reports on the compliance dashboard and gets
their escalations, so every change is audited and kept in the user history.
"""

import csv
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_update_with_history

from ..audit.services import record_event

REQUIRED_COLUMNS = {"email", "department", "manager_email"}
OPTIONAL_COLUMNS = {"employee_number"}
BATCH_SIZE = 2000


def _would_loop(user, manager):
    """Return whether making ``manager`` the line manager of ``user`` forms a cycle."""
    seen = set()
    current = manager
    while current is not None and current.pk not in seen:
        if current.pk == user.pk:
            return True
        seen.add(current.pk)
        current = current.manager
    return False


def set_reporting_line(user, *, department, manager, employee_number, actor, request=None):
    """Change one person's reporting line and record who did it."""
    if manager is not None and _would_loop(user, manager):
        raise ValidationError(
            f"{manager} cannot be the line manager of {user}: the reporting line "
            "would lead back to them. Choose another manager."
        )
    with transaction.atomic():
        before = (user.department, user.manager_id, user.employee_number)
        user.department = department.strip()
        user.manager = manager
        user.employee_number = (employee_number or "").strip() or None
        user._history_user = actor
        user.save(update_fields=["department", "manager", "employee_number"])
        if before != (user.department, user.manager_id, user.employee_number):
            record_event(
                "user.reporting_line_changed", actor=actor, obj=user, request=request,
                detail={"manager": user.manager_id, "department": user.department},
            )
    return user


@dataclass
class ImportResult:
    changed: int
    unchanged: int


def read_reporting_lines(handle):
    """Parse a CSV file of reporting lines; raise ValidationError listing bad rows.

    Columns: email, department, manager_email (empty for none) and optionally
    employee_number. Nothing is changed here.
    """
    reader = csv.DictReader(handle)
    columns = set(reader.fieldnames or ())
    missing = REQUIRED_COLUMNS - columns
    if missing:
        raise ValidationError(
            f"The CSV header lacks column(s) {', '.join(sorted(missing))}; the header "
            f"must name {', '.join(sorted(REQUIRED_COLUMNS | OPTIONAL_COLUMNS))}."
        )
    rows = []
    for line, row in enumerate(reader, start=2):
        rows.append((line, {key: (value or "").strip() for key, value in row.items() if key}))
    return rows


def import_reporting_lines(rows, actor, actor_label):
    """Apply parsed rows in one transaction: all of them, or none on any error."""
    User = get_user_model()
    given = {row["email"] for _, row in rows} | {
        row["manager_email"] for _, row in rows if row["manager_email"]
    }
    candidates = given | {email.lower() for email in given}
    people = {
        user.email.lower(): user
        for user in User.objects.filter(email__in=candidates).select_related("manager")
    }
    errors = []
    for line, row in rows:
        if row["email"].lower() not in people:
            errors.append(f"line {line}: no user has the email address {row['email']!r}")
        if row["manager_email"] and row["manager_email"].lower() not in people:
            errors.append(
                f"line {line}: no user has the manager email address {row['manager_email']!r}"
            )
        if row["manager_email"] and row["manager_email"].lower() == row["email"].lower():
            errors.append(f"line {line}: {row['email']!r} cannot be their own manager")
    if errors:
        raise ValidationError(
            ["Nothing was imported; correct these rows and run the import again."] + errors[:50]
        )

    changed = []
    for _, row in rows:
        user = people[row["email"].lower()]
        manager = people.get(row["manager_email"].lower()) if row["manager_email"] else None
        values = (
            row["department"],
            manager.pk if manager else None,
            row.get("employee_number") or user.employee_number,
        )
        if values != (user.department, user.manager_id, user.employee_number):
            user.department, user.manager_id, user.employee_number = values
            user.manager = manager
            changed.append(user)
    for user in changed:
        if user.manager is not None and _would_loop(user, user.manager):
            raise ValidationError(
                f"Nothing was imported: the reporting line of {user.email} leads back "
                "to them; correct the manager column."
            )
    with transaction.atomic():
        for start in range(0, len(changed), BATCH_SIZE):
            bulk_update_with_history(
                changed[start : start + BATCH_SIZE], User,
                ["department", "manager", "employee_number", "employee_number_hash"],
                default_user=actor, default_change_reason="Reporting lines imported",
            )
        record_event(
            "user.reporting_lines_imported", system_actor=actor_label,
            detail={"rows": len(rows), "changed": len(changed)},
        )
    return ImportResult(changed=len(changed), unchanged=len(rows) - len(changed))

