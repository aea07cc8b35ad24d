import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render

from ..audit.models import Outcome
from ..audit.services import record_event
from ..policies.models import PolicyVersion
from .forms import VerifyPdfForm
from .services import signed_pdf_for
from .signing import signing_certificate_pem, verify_pdf_bytes

logger = logging.getLogger(__name__)
DOWNLOAD_PERMISSION = "policies.download_signed_pdf"


def can_download_signed_pdf(user, version):
    """Auditors and compliance admins hold the permission for every version;
    django-guardian can grant it for one version, e.g. to a regulator."""
    return user.has_perm(DOWNLOAD_PERMISSION) or user.has_perm(DOWNLOAD_PERMISSION, version)


@login_required
def download_signed_pdf(request, version_id):
    version = PolicyVersion.objects.select_related("policy").filter(pk=version_id).first()
    if version is None and request.user.has_perm(DOWNLOAD_PERMISSION):
        raise Http404("No policy version has this id.")
    if version is None or not can_download_signed_pdf(request.user, version):
        # Refused alike whether the version exists or not, so ids cannot be probed.
        logger.warning(
            "User %s was denied the signed PDF of policy version %s",
            request.user.pk, version_id,
        )
        record_event(
            "access.denied", actor=request.user, object_type="policies.policyversion",
            object_id=str(version_id), request=request, outcome=Outcome.DENIED,
            detail={"resource": "signed_pdf"},
        )
        raise PermissionDenied("Only auditors and compliance admins download signed PDFs.")
    from ..training.access import refuse_confidential

    if response := refuse_confidential(
        request, version.classification, version.policy.title, version
    ):
        return response
    record = signed_pdf_for(version, actor=f"download:user:{request.user.pk}")
    record_event(
        "export.signed_pdf_downloaded", actor=request.user, obj=version, request=request,
        detail={"policy": version.policy.slug, "version": version.label,
                "sha256": record.sha256},
    )
    response = FileResponse(
        record.file.open("rb"), as_attachment=True, filename=record.filename,
        content_type="application/pdf",
    )
    response["X-Content-SHA256"] = record.sha256
    return response


@login_required
def signing_certificate(request):
    response = HttpResponse(signing_certificate_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="policyhub-signing.pem"'
    return response


@login_required
def verify(request):
    result = None
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        # A malformed header is no size at all; Django's own reader refuses it.
        declared = 0
    limit = settings.POLICYHUB_VERIFY_MAX_BYTES
    if request.method == "POST" and declared > limit + 64 * 1024:
        # Refuse before Django reads the upload; the margin covers form fields.
        message = f"The upload is {declared:,} bytes; the limit is {limit:,} bytes."
        return render(
            request, "exports/verify.html",
            {"form": VerifyPdfForm(), "upload_error": message}, status=413,
        )
    form = VerifyPdfForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result = verify_pdf_bytes(form.cleaned_data["pdf"].read())
        else:
            status = 400
    return render(
        request, "exports/verify.html", {"form": form, "result": result}, status=status
    )
