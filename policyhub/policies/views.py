"""Portal pages for readers, served through the Wagtail page tree."""

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.template.response import TemplateResponse

from ..attestations.forms import AcknowledgementForm
from ..attestations.services import status_for, statuses_for
from ..exports.views import can_download_signed_pdf
from ..training.access import refuse_confidential
from ..training.services.suspensions import suspension_in_force


def _require_login(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def policy_list(request, library):
    """"My policies": every live policy with the reader's status."""
    if response := _require_login(request):
        return response
    statuses = statuses_for(request.user)
    return TemplateResponse(
        request,
        "policies/policy_list.html",
        {
            "page": library,
            "statuses": statuses,
            "action_count": sum(1 for status in statuses if status.action_required),
            "suspension": suspension_in_force(request.user),
        },
    )


def _exceptions_in_force(user, policy):
    """Approved exceptions to this policy that ``user`` is allowed to see."""
    from ..exceptions.services import visible_to

    return list(
        visible_to(user)
        .filter(version__policy=policy, state="approved")
        .order_by("end_date")
    )


def _procedures_under(policy):
    """Live procedures that implement ``policy``, in title order."""
    from ..procedures.models import ProcedurePage

    return list(ProcedurePage.objects.child_of(policy).live().order_by("title"))


def policy_detail(request, policy):
    """The current version of a policy, its history and the acknowledgement form.

    ``?version=1.0`` shows an earlier version, read-only.
    """
    if response := _require_login(request):
        return response
    if response := refuse_confidential(request, policy.classification, policy.title, policy):
        return response
    versions = list(policy.versions.order_by("-major", "-minor"))
    if not versions:
        raise Http404("This policy has no approved version yet.")
    current = versions[0]
    shown = current
    requested = request.GET.get("version")
    if requested:
        shown = next((v for v in versions if v.label == requested), None)
        if shown is None:
            raise Http404(f"Version {requested!r} of this policy does not exist.")
    status = status_for(request.user, policy, current)
    own_ack = shown.acknowledgements.filter(user=request.user).first()
    form = AcknowledgementForm(initial={"content_sha256": shown.content_sha256})
    return TemplateResponse(
        request,
        "policies/policy_detail.html",
        {
            "page": policy,
            "policy": policy,
            "version": shown,
            "current": current,
            "is_current": shown.pk == current.pk,
            "versions": versions,
            "status": status,
            "own_ack": own_ack,
            "form": form,
            "approvals": shown.approvals.select_related("approved_by"),
            "can_download": can_download_signed_pdf(request.user, shown),
            "exceptions_in_force": _exceptions_in_force(request.user, policy),
            "procedures": _procedures_under(policy),
        },
    )
