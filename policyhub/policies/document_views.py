from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from wagtail.admin.auth import require_admin_access

from .document_forms import DocumentImportForm
from .document_import import DocumentRejected
from .document_service import import_document
from .models import PolicyIndexPage


def _can_import(user):
    library = PolicyIndexPage.objects.first()
    return library is not None and library.permissions_for_user(user).can_add_subpage()


@require_admin_access
def import_document_view(request):
    """Upload a Markdown or Word document as a policy draft and report the result."""
    if not _can_import(request.user):
        raise PermissionDenied("Only policy owners and compliance admins import documents.")
    form = DocumentImportForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["document"]
            try:
                page, conversion = import_document(
                    request.user, upload.name, upload.read(), form.cleaned_data, request=request
                )
            except DocumentRejected as exc:
                form.add_error("document", str(exc))
                status = 400
            else:
                context.update(page=page, conversion=conversion)
        else:
            status = 400
    return TemplateResponse(request, "policies/admin/import_document.html", context, status=status)
