from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from ..audit.services import record_event
from .evidence import sections
from .evidence_forms import EvidencePackForm
from .evidence_service import request_pack
from .models import EvidencePack
from .views import DOWNLOAD_PERMISSION


def _require_auditor(user):
    if not user.has_perm(DOWNLOAD_PERMISSION):
        raise PermissionDenied("Only auditors and compliance admins build evidence packs.")


def _own_pack(request, pack_id):
    """Return the requester's pack; other people's packs are not found."""
    return get_object_or_404(EvidencePack, pk=pack_id, requested_by=request.user)


@login_required
def pack_list(request):
    _require_auditor(request.user)
    form = EvidencePackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pack, _ = request_pack(
            request.user, data["token"], data["period_start"], data["period_end"],
            [policy.slug for policy in data["policies"]], data["include_audit"], request=request,
            campaign_ids=[campaign.pk for campaign in data["campaigns"]],
            training_module_ids=[module.pk for module in data["training_modules"]],
        )
        return redirect("exports:evidence_pack", pack_id=pack.pk)
    packs = EvidencePack.objects.filter(requested_by=request.user)[:20]
    return TemplateResponse(
        request, "exports/evidence_list.html",
        {"form": form, "packs": packs, "sections": sections()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
def pack_detail(request, pack_id):
    _require_auditor(request.user)
    pack = _own_pack(request, pack_id)
    return TemplateResponse(request, "exports/evidence_detail.html", {"pack": pack})


@login_required
def pack_download(request, pack_id):
    _require_auditor(request.user)
    pack = _own_pack(request, pack_id)
    if pack.status != EvidencePack.Status.DONE or not pack.file:
        raise Http404("This evidence pack is not ready.")
    record_event(
        "export.evidence_pack_downloaded", actor=request.user, obj=pack, request=request,
        detail={"sha256": pack.sha256},
    )
    response = FileResponse(
        pack.file.open("rb"), as_attachment=True, filename=pack.filename,
        content_type="application/zip",
    )
    response["X-Content-SHA256"] = pack.sha256
    return response
