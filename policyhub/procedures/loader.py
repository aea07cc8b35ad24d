"""Import policies and the procedures under them, in one transaction."""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from ..policies.importer import ImportFailed, list_policy_files, read_front_matter
from ..policies.loader import ImportReport, _apply, import_page, parse_source
from ..policies.models import PolicyPage
from .importer import is_procedure_file, parse_procedure_file
from .models import ProcedurePage

PROCEDURES_DIR = "procedures"


@dataclass
class LibraryReport:
    policies: ImportReport = field(default_factory=ImportReport)
    procedures: ImportReport = field(default_factory=ImportReport)


def apply_procedure(page, document):
    _apply(page, document.policy)
    page.performer_groups.set(document.performer_groups)
    page.sign_off_group = document.sign_off_group
    page.assignee = document.assignee
    page.schedule = document.schedule
    page.schedule_cron = document.schedule_cron
    page.run_due_days = document.due_days
    page.steps = [("step", step) for step in document.steps]


def procedure_source(source):
    """Return the procedures folder beside the policies in ``source``, or None."""
    folder = Path(source) / PROCEDURES_DIR
    return folder if folder.is_dir() else None


def parse_procedures(source, policy_slugs, organisation=None):
    """Parse every procedure file under ``source``; raise ImportFailed listing
    all problems."""
    organisation = organisation or settings.POLICYHUB_ORGANISATION_NAME
    known = set(policy_slugs) | set(
        PolicyPage.objects.exact_type(PolicyPage).values_list("slug", flat=True)
    )
    errors = []
    documents = []
    for path in list_policy_files(source):
        document = parse_procedure_file(path, organisation, known, errors)
        if document is not None:
            documents.append(document)
    seen = {}
    for document in documents:
        if document.slug in seen or document.slug in known:
            errors.append(
                f"{document.path}: slug {document.slug!r} is already used by "
                f"{seen.get(document.slug, 'a policy')}; each procedure needs "
                "its own slug."
            )
        seen.setdefault(document.slug, document.path)
    if errors:
        raise ImportFailed(errors)
    return documents


def _check_not_procedures(source):
    """Reject procedure files among the policies, where they would lose their steps."""
    errors = []
    for path in list_policy_files(source):
        parsed = read_front_matter(path, [])
        if parsed and is_procedure_file(parsed[1]):
            errors.append(
                f"{path}: has field 'parent_policy', so it is a procedure; move "
                f"it into the {PROCEDURES_DIR}/ folder."
            )
    if errors:
        raise ImportFailed(errors)


@transaction.atomic
def import_procedures(source, policy_slugs=(), organisation=None):
    """Import a file or directory of procedures as drafts under their policies."""
    documents = parse_procedures(source, policy_slugs, organisation)
    report = ImportReport()
    errors = []
    parents = {page.slug: page for page in PolicyPage.objects.exact_type(PolicyPage)}
    for document in documents:
        parent = parents[document.parent_slug]
        existing = ProcedurePage.objects.filter(slug=document.slug).first()
        if existing is not None and existing.get_parent().pk != parent.pk:
            errors.append(
                f"{document.path}: procedure {document.slug!r} is under another "
                f"policy; move it under {document.parent_slug!r} in the admin first."
            )
            continue
        try:
            import_page(
                parent,
                ProcedurePage.objects.all(),
                ProcedurePage,
                document,
                apply_procedure,
                report,
                errors,
            )
        except ValidationError as exc:
            errors.append(f"{document.path}: rejected by the page model: {'; '.join(exc.messages)}")
    if errors:
        transaction.set_rollback(True)
        raise ImportFailed(errors)
    return report


@transaction.atomic
def import_library(source, organisation=None):
    """Import the policies in ``source`` and the procedures in its
    ``procedures/`` folder: all of them as drafts, or nothing."""
    from ..policies.loader import import_policies

    if Path(source).is_dir():
        _check_not_procedures(source)
    policy_documents = parse_source(source, organisation)
    folder = procedure_source(source)
    if folder is not None:
        # Parse before writing, so a bad procedure file imports no policy either.
        parse_procedures(folder, [d.slug for d in policy_documents], organisation)
    report = LibraryReport(policies=import_policies(source, organisation))
    if folder is not None:
        report.procedures = import_procedures(
            folder, [d.slug for d in policy_documents], organisation
        )
    return report
