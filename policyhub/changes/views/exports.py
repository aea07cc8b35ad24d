"""Downloads: a change record as a signed PDF, change lists as CSV and XLSX."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone

from ...audit.services import record_event
from .. import roles
from ..exports import changes_csv, changes_xlsx, signed_change_record_pdf
from .changes import filtered_changes
from .common import get_visible_change

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def change_pdf(request, pk):
    change = get_visible_change(request, pk)
    pdf = signed_change_record_pdf(change)
    record_event("change.record_exported", actor=request.user, obj=change, request=request,
                 detail={"format": "pdf"})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{change.reference}.pdf"'
    return response


def _export(request, fmt):
    if not roles.sees_all_changes(request.user):
        raise PermissionDenied("Change lists are exported by board members, auditors and "
                               "compliance admins.")
    form, queryset = filtered_changes(request)
    if request.GET and not form.is_valid():
        errors = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(f"Invalid filter: {errors}", status=400, content_type="text/plain")
    changes = list(queryset.order_by("planned_start", "pk"))
    record_event("change.list_exported", actor=request.user, request=request,
                 object_type="changes.changerequest",
                 detail={"format": fmt, "count": len(changes), "filters": request.GET.dict()})
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        response = HttpResponse(changes_csv(changes), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(changes_xlsx(changes), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="changes-{stamp}.{fmt}"'
    return response


@login_required
def export_csv(request):
    return _export(request, "csv")


@login_required
def export_xlsx(request):
    return _export(request, "xlsx")
