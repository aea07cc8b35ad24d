"""Create or update a policy draft from an uploaded document."""

from django.db import transaction

from ..audit.services import record_event
from .document_import import convert_upload
from .models import PolicyIndexPage, PolicyPage


@transaction.atomic
def import_document(user, filename, data, cleaned, request=None):
    """Return (page, conversion). Nothing is published; the draft needs approval."""
    conversion = convert_upload(filename, data)
    body = [("section", section) for section in conversion.sections]
    page = cleaned.get("policy")
    if page is None:
        page = PolicyPage(
            live=False,
            title=cleaned["title"],
            slug=cleaned["slug"],
            summary=cleaned["summary"],
            owner_role=cleaned["owner_role"],
            approver_group=cleaned["approver_group"],
            classification=cleaned.get("classification") or "Internal",
            review_interval_months=cleaned.get("review_interval_months") or 12,
            body=body,
            change_summary=cleaned["change_summary"],
        )
        PolicyIndexPage.objects.get().add_child(instance=page)
        page.save_revision(user=user, log_action=True)
        created = True
    else:
        draft = page.get_latest_revision_as_object()
        draft.body = body
        draft.change_summary = cleaned["change_summary"]
        draft.save_revision(user=user, log_action=True)
        created = False
    record_event(
        "policy.document_imported", actor=user, obj=page, request=request,
        detail={"file": filename[:100], "created": created,
                "sections": len(conversion.sections), "messages": len(conversion.messages)},
    )
    return page, conversion
