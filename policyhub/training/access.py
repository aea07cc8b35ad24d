"""Refusal of Confidential content to people whose access is suspended for
long-overdue training."""

from django.template.response import TemplateResponse

from ..audit.models import Outcome
from ..audit.services import record_event
from .services.suspensions import suspend_after_days, suspension_in_force

CONFIDENTIAL = "Confidential"


def refuse_confidential(request, classification, title, obj=None):
    """Return a 403 page explaining the suspension when ``request.user`` may
    not open Confidential content now, else None."""
    if classification != CONFIDENTIAL:
        return None
    suspension = suspension_in_force(request.user)
    if suspension is None:
        return None
    record_event(
        "training.confidential_access_refused",
        actor=request.user,
        obj=obj,
        request=request,
        outcome=Outcome.DENIED,
        detail={"suspension": suspension.pk},
    )
    return TemplateResponse(
        request,
        "training/suspended.html",
        {
            "suspension": suspension,
            "title": title,
            "modules": list(suspension.modules.order_by("title")),
            "suspend_after_days": suspend_after_days(),
        },
        status=403,
    )
