"""Parse procedure files: policy front matter plus parent, performers, steps
and schedule. Every problem names the file, the field and the value.

A procedure file has the policy fields (title, slug, summary, owner_role,
approver_group, review_interval_months, classification) and::

    parent_policy: access-control       # slug of the policy it implements
    performer_roles: [IT Operations]    # groups that perform it
    sign_off_role: Policy Owners        # optional: a second person signs off
    assignee: someone@example.com       # optional: the person who performs it
    schedule: quarterly                 # monthly, quarterly, annually,
                                        # {cron: "0 6 1 * *"}, or omitted
    due_days: 14                        # optional, default 7
    steps:
      - number: 1
        title: Export the list of accounts
        instructions: ...
        evidence: file                  # none, note, file, link, checkbox
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from ..policies.importer import (
    FRONT_MATTER_FIELDS,
    FieldSpec,
    PolicyDocument,
    _check_fields,
    _show,
    build_policy_document,
    read_front_matter,
)
from .models import EvidenceKind, Schedule
from .schedule import validate_cron

PROCEDURE_FIELDS = {
    **FRONT_MATTER_FIELDS,
    "iso27001_controls": FieldSpec(list, required=False),
    "parent_policy": FieldSpec(str),
    "performer_roles": FieldSpec(list),
    "sign_off_role": FieldSpec(str, required=False),
    "assignee": FieldSpec(str, required=False),
}
CHECKED_HERE = ("steps", "schedule", "due_days")
STEP_KEYS = {"number", "title", "instructions", "evidence"}
MAX_DUE_DAYS = 365


@dataclass
class ProcedureDocument:
    policy: PolicyDocument
    parent_slug: str
    performer_groups: list
    sign_off_group: Group | None
    assignee: object
    schedule: str
    schedule_cron: str
    due_days: int
    steps: list

    @property
    def slug(self):
        return self.policy.slug

    @property
    def path(self):
        return self.policy.path

    @property
    def source_sha256(self):
        return self.policy.source_sha256


def is_procedure_file(data):
    return isinstance(data, dict) and "parent_policy" in data


def _groups(path, field, names, errors):
    found = {group.name: group for group in Group.objects.filter(name__in=names)}
    unknown = [name for name in names if name not in found]
    for name in unknown:
        errors.append(
            f"{path}: field {field!r} names unknown role {_show(name)}; create the "
            "group first or use an existing one."
        )
    return None if unknown else [found[name] for name in names]


def _parse_schedule(path, value, errors):
    """Return (schedule, cron expression), or None after adding to ``errors``."""
    if value in (None, "", "on demand"):
        return Schedule.ON_DEMAND, ""
    if isinstance(value, dict) and set(value) == {"cron"} and isinstance(value["cron"], str):
        try:
            validate_cron(value["cron"])
        except ValidationError:
            errors.append(
                f"{path}: field 'schedule' has cron expression {_show(value['cron'])}, "
                "which is not valid; use five fields (minute hour day-of-month "
                "month day-of-week), e.g. '0 6 1 * *'."
            )
            return None
        return Schedule.CRON, " ".join(value["cron"].split())
    if isinstance(value, str) and value in Schedule.values:
        return value, ""
    errors.append(
        f"{path}: field 'schedule' is {_show(value)}; use monthly, quarterly, "
        "annually, 'on demand', or {cron: \"0 6 1 * *\"}."
    )
    return None


def _parse_step(path, index, item, errors):
    where = f"{path}: field 'steps' item {index}"
    if not isinstance(item, dict):
        errors.append(f"{where} is {_show(item)}; write number, title and evidence keys.")
        return None

    problems = [
        f"{where}: unknown key {key!r}; use {', '.join(sorted(STEP_KEYS))}."
        for key in sorted(set(item) - STEP_KEYS)
    ]

    number = item.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 999:
        problems.append(f"{where}: 'number' is {_show(number)}; use a whole number from 1 to 999.")

    title = item.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        problems.append(f"{where}: 'title' is {_show(title)}; give a title of 1 to 200 characters.")

    instructions = item.get("instructions", "")
    if not isinstance(instructions, str):
        problems.append(f"{where}: 'instructions' must be text, got {_show(instructions)}.")

    evidence = item.get("evidence", EvidenceKind.NONE)
    if evidence not in EvidenceKind.values:
        problems.append(
            f"{where}: 'evidence' is {_show(evidence)}; use one of "
            f"{', '.join(EvidenceKind.values)}."
        )

    errors.extend(problems)
    if problems:
        return None
    return {
        "number": number,
        "title": title.strip(),
        "instructions": instructions.strip(),
        "evidence": evidence,
    }


def _parse_steps(path, value, errors):
    if not value:
        errors.append(
            f"{path}: missing front matter field 'steps'; list the numbered steps of the procedure."
        )
        return None
    if not isinstance(value, list):
        errors.append(f"{path}: field 'steps' must be a list of steps, got {_show(value)}.")
        return None
    steps = [_parse_step(path, index, item, errors) for index, item in enumerate(value, 1)]
    if None in steps:
        return None
    seen = set()
    for step in steps:
        if step["number"] in seen:
            errors.append(
                f"{path}: field 'steps' uses number {step['number']} twice; number each step once."
            )
            return None
        seen.add(step["number"])
    return steps


def _parse_due_days(path, value, errors):
    if value is None:
        return 7
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DUE_DAYS:
        errors.append(
            f"{path}: field 'due_days' is {_show(value)}; use a whole number "
            f"from 1 to {MAX_DUE_DAYS}."
        )
        return None
    return value


def _parse_assignee(path, email, errors):
    if not email:
        return None
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        errors.append(
            f"{path}: field 'assignee' names {_show(email)}, which is not an "
            "active user's email address."
        )
    return user


def parse_procedure_file(path, organisation, policy_slugs, errors):
    """Return a ProcedureDocument for ``path``, or None after adding to ``errors``.

    ``policy_slugs`` are the policies a procedure may name as its parent.
    """
    parsed = read_front_matter(path, errors)
    if parsed is None:
        return None
    text, data, body, body_line = parsed
    before = len(errors)
    fields_ok = _check_fields(path, data, errors, PROCEDURE_FIELDS, CHECKED_HERE)
    steps = _parse_steps(path, data.get("steps"), errors)
    if not fields_ok:
        return None
    if data["parent_policy"] not in policy_slugs:
        errors.append(
            f"{path}: field 'parent_policy' names unknown policy "
            f"{_show(data['parent_policy'])}; use the slug of an imported policy."
        )
    performers = _groups(path, "performer_roles", data["performer_roles"], errors)
    sign_off = None
    if data.get("sign_off_role"):
        sign_off = _groups(path, "sign_off_role", [data["sign_off_role"]], errors)
    schedule = _parse_schedule(path, data.get("schedule"), errors)
    due_days = _parse_due_days(path, data.get("due_days"), errors)
    assignee = _parse_assignee(path, data.get("assignee"), errors)
    if len(errors) > before:
        return None
    policy = build_policy_document(path, data, text, body, body_line, organisation, errors)
    if policy is None:
        return None
    return ProcedureDocument(
        policy=policy,
        parent_slug=data["parent_policy"],
        performer_groups=performers,
        sign_off_group=sign_off[0] if sign_off else None,
        assignee=assignee,
        schedule=schedule[0],
        schedule_cron=schedule[1],
        due_days=due_days,
        steps=steps,
    )
