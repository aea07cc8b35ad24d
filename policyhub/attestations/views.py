import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..policies.models import PolicyVersion
from ..training.services.assignments import TrainingRequired
from .forms import AcknowledgementForm
from .services import ContentMismatch, StaleVersion, acknowledge

logger = logging.getLogger(__name__)


@login_required
@require_POST
def acknowledge_version(request, version_id):
    version = get_object_or_404(
        PolicyVersion.objects.select_related("policy"), pk=version_id, policy__live=True
    )
    policy_url = version.policy.url
    form = AcknowledgementForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(policy_url)
    try:
        ack, created = acknowledge(
            request.user,
            version,
            form.cleaned_data["content_sha256"],
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            request=request,
        )
    except StaleVersion as exc:
        return render(
            request,
            "attestations/stale_version.html",
            {"version": exc.version, "current": exc.current, "policy": version.policy},
            status=409,
        )
    except (ContentMismatch, TrainingRequired) as exc:
        messages.error(request, str(exc))
        return redirect(policy_url)
    when = timezone.localtime(ack.acknowledged_at).strftime("%d %b %Y %H:%M %Z")
    if created:
        logger.info("User %s acknowledged policy version %s", request.user.pk, version.pk)
        messages.success(
            request, f"You acknowledged {version.title} version {version.label}."
        )
    else:
        messages.info(
            request,
            f"You already acknowledged {version.title} version {version.label} "
            f"on {when}; nothing was changed.",
        )
    return redirect(policy_url)
