"""The CAB meeting page and its signed agenda."""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ...audit.services import record_event
from .. import roles
from ..exports import signed_agenda_pdf
from ..models import ChangeRequest, ChangeType, State


def next_meeting(now=None):
    """Return the start of the next regular CAB meeting, in local time."""
    now = timezone.localtime(now)
    hour, minute = (int(part) for part in settings.CHANGES_CAB_MEETING_TIME.split(":"))
    days_ahead = (settings.CHANGES_CAB_MEETING_WEEKDAY - now.weekday()) % 7
    meeting = (now + datetime.timedelta(days=days_ahead)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )
    if meeting <= now:
        meeting += datetime.timedelta(days=7)
    return meeting


def meeting_context():
    """Return the agenda of the next meeting: changes awaiting a CAB decision."""
    awaiting = ChangeRequest.objects.filter(
        Q(state=State.CAB_REVIEW, change_type=ChangeType.NORMAL)
        | Q(state=State.REVIEW, change_type=ChangeType.EMERGENCY, retrospective_outcome="")
    ).select_related("requester", "implementer").prefetch_related("systems", "votes")
    return {
        "meeting_at": next_meeting(),
        "awaiting": list(awaiting.order_by("planned_start")),
        "emergency": list(
            ChangeRequest.objects.filter(state=State.CAB_REVIEW, change_type=ChangeType.EMERGENCY)
            .select_related("requester").prefetch_related("systems")
        ),
        "overdue": list(ChangeRequest.objects.retrospective_overdue().select_related("requester")),
    }


def require_board_view(user):
    if not roles.sees_all_changes(user):
        raise PermissionDenied("The CAB meeting is open to board members, auditors and "
                               "compliance admins.")


@login_required
def meeting(request):
    require_board_view(request.user)
    return render(request, "changes/meeting.html", meeting_context())


@login_required
def meeting_agenda_pdf(request):
    require_board_view(request.user)
    context = meeting_context()
    pdf = signed_agenda_pdf(context)
    record_event("change.agenda_exported", actor=request.user, request=request,
                 object_type="changes.meeting", object_id=context["meeting_at"].date().isoformat(),
                 detail={"changes": [change.pk for change in context["awaiting"]]})
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"cab-agenda-{context['meeting_at']:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
