"""Create or update policy pages from parsed documents, as drafts only."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from .importer import ImportFailed, list_policy_files, parse_policy_file
from .models import PolicyIndexPage, PolicyPage


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)


def _apply(page, document):
    page.title = document.title
    page.slug = document.slug
    page.summary = document.summary
    page.owner_role = document.owner_role
    page.approver_group = document.approver_group
    page.review_interval_months = document.review_interval_months
    page.classification = document.classification
    page.annex_a_controls = "\n".join(document.iso27001_controls)
    page.regulatory_references = "\n".join(document.regulatory_references)
    page.body = [("section", section) for section in document.sections]
    page.source_sha256 = document.source_sha256


def parse_source(source, organisation=None):
    """Parse every file under ``source``; raise ImportFailed listing all problems."""
    organisation = organisation or settings.POLICYHUB_ORGANISATION_NAME
    errors = []
    documents = []
    for path in list_policy_files(source):
        document = parse_policy_file(path, organisation, errors)
        if document is not None:
            documents.append(document)
    seen = {}
    for document in documents:
        if document.slug in seen:
            errors.append(
                f"{document.path}: slug {document.slug!r} is already used by "
                f"{seen[document.slug]}; each policy needs its own slug."
            )
        seen.setdefault(document.slug, document.path)
    if errors:
        raise ImportFailed(errors)
    return documents


@transaction.atomic
def import_policies(source, organisation=None):
    """Import a file or directory of policies in one transaction.

    A new file becomes a draft page; a changed file becomes a new draft
    revision of its page; an unchanged file changes nothing. Nothing is
    published here: publication needs the approval workflow.
    """
    documents = parse_source(source, organisation)
    library = PolicyIndexPage.objects.first()
    if library is None:
        raise ImportFailed(["The policy library page is missing; run migrate first."])
    report = ImportReport()
    errors = []
    for document in documents:
        try:
            _import_one(library, document, report, errors)
        except ValidationError as exc:
            errors.append(f"{document.path}: rejected by the page model: {'; '.join(exc.messages)}")
    if errors:
        transaction.set_rollback(True)
        raise ImportFailed(errors)
    return report


def _import_one(library, document, report, errors):
    pages = PolicyPage.objects.exact_type(PolicyPage)
    import_page(library, pages, PolicyPage, document, _apply, report, errors)


def import_page(parent, pages, model, document, apply, report, errors):
    """Create ``document`` as a draft under ``parent``, or add a draft revision
    to the page in ``pages`` with its slug when the text changed."""
    label = model._meta.verbose_name
    page = pages.filter(slug=document.slug).first()
    if page is None:
        page = model(live=False)
        apply(page, document)
        parent.add_child(instance=page)
        page.save_revision(log_action=True)
        report.created.append(document.slug)
        return
    draft = page.get_latest_revision_as_object()
    if draft.source_sha256 == document.source_sha256:
        report.unchanged.append(document.slug)
        return
    if page.workflow_in_progress:
        errors.append(
            f"{document.path}: {label} {document.slug!r} has a revision awaiting approval; "
            "finish or cancel that review before importing a new text."
        )
        return
    latest = page.get_latest_revision()
    if page.has_unpublished_changes and latest is not None and latest.user_id is not None:
        errors.append(
            f"{document.path}: {label} {document.slug!r} has draft edits made in the admin "
            f"by user {latest.user_id}; publish or discard them before importing."
        )
        return
    apply(draft, document)
    draft.change_summary = f"Imported from {document.path.name}."
    draft.change_type = ""
    draft.save_revision(log_action=True)
    report.updated.append(document.slug)
