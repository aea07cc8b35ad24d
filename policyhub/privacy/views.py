from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from ..accounts.roles import COMPLIANCE_ADMINS, user_has_role
from .forms import SubjectAccessForm
from .subject_access import EXCLUDED_MODELS, export_subject


def can_export_subject_data(user):
    """Compliance Admins and superusers may export a person's data."""
    return user.is_active and (user.is_superuser or user_has_role(user, COMPLIANCE_ADMINS))


@login_required
def subject_access(request):
    """Show the export form; on a valid POST, return the export as a download."""
    if not can_export_subject_data(request.user):
        raise PermissionDenied("Only Compliance Admins may export a person's data.")
    form = SubjectAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        content, content_type, filename = export_subject(
            form.cleaned_data["person"],
            form.cleaned_data["export_format"],
            actor=request.user,
            request=request,
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "privacy/subject_access.html",
        {"form": form, "excluded_models": EXCLUDED_MODELS},
        status=400 if form.errors else 200,
    )
