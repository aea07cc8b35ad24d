"""Portal pages for requesters, implementers and board members."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_fsm import has_transition_perm

from .. import permissions, roles, services
from ..forms import (
    AssignImplementerForm,
    AttachmentForm,
    ChangeFilterForm,
    ChangeRequestForm,
    CloseForm,
    VoteForm,
)
from ..models import System
from ..services import USER_TRANSITIONS, ChangeError
from .common import get_visible_change

logger = logging.getLogger(__name__)
LIST_LIMIT = 200


def filtered_changes(request):
    """Return (form, queryset) for the filters in the query string."""
    form = ChangeFilterForm(request.GET or None)
    queryset = permissions.visible_changes(request.user).select_related(
        "requester", "implementer"
    ).prefetch_related(Prefetch("systems", queryset=System.objects.order_by("name")))
    if form.is_valid():
        queryset = form.apply(queryset)
    return form, queryset


@login_required
def change_list(request):
    form, queryset = filtered_changes(request)
    changes = list(queryset[:LIST_LIMIT])
    overdue = permissions.visible_changes(request.user).retrospective_overdue()
    return render(request, "changes/change_list.html", {
        "form": form,
        "changes": changes,
        "truncated": len(changes) == LIST_LIMIT,
        "overdue": overdue.select_related("requester"),
        "may_request": roles.may_request_changes(request.user),
        "sees_all": roles.sees_all_changes(request.user),
        "query": request.GET.urlencode(),
    }, status=200 if form.is_valid() or not request.GET else 400)


@login_required
def change_create(request):
    if not roles.may_request_changes(request.user):
        raise PermissionDenied("Only employees and board members may request changes.")
    form = ChangeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.create_change(
                request.user, form.service_fields(), form.cleaned_data["systems"],
                form.cleaned_data["policy_versions"], request=request,
            )
        except ChangeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{change.reference} was saved as a draft.")
            return redirect("changes:detail", pk=change.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "changes/change_form.html", {"form": form, "change": None},
                  status=status)


@login_required
def change_edit(request, pk):
    change = get_visible_change(request, pk)
    if not permissions.can_edit(change, request.user):
        raise PermissionDenied(
            f"{change.reference} can be edited only by its requester while it is a draft "
            "or returned for more information."
        )
    form = ChangeRequestForm(request.POST or None, instance=change)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_change(
                change, request.user, form.service_fields(), form.cleaned_data["systems"],
                form.cleaned_data["policy_versions"], request=request,
            )
        except ChangeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{change.reference} was saved.")
            return redirect("changes:detail", pk=change.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "changes/change_form.html", {"form": form, "change": change},
                  status=status)


def available_actions(change, user):
    """Return (name, label) of the transitions ``user`` may run now."""
    actions = []
    for name in USER_TRANSITIONS:
        if name == "close":
            continue
        if has_transition_perm(getattr(change, name), user):
            actions.append((name, ACTION_LABELS[name]))
    return actions


ACTION_LABELS = {
    "submit": "Submit for assessment",
    "assess": "Start assessment",
    "send_to_cab": "Send to CAB review",
    "request_information": "Request more information",
    "schedule": "Schedule",
    "start": "Start implementation",
    "complete": "Mark as implemented",
    "fail": "Mark as failed",
    "roll_back": "Mark as rolled back",
    "begin_review": "Start post-implementation review",
    "cancel": "Cancel change",
}


@login_required
def change_detail(request, pk, vote_form=None, attachment_form=None, close_form=None,
                  status=200):
    change = get_visible_change(request, pk)
    user = request.user
    members = services.members_for(user, change)
    own_votes = change.votes.filter(round=change.review_round, cast_by=user)
    return render(request, "changes/change_detail.html", {
        "change": change,
        "systems": change.systems.all(),
        "policy_versions": change.policy_versions.select_related("policy"),
        "history": change.history.select_related("history_user").order_by("-history_date"),
        "votes": change.votes.select_related("member", "cast_by").order_by("-round", "cast_at"),
        "attachments": change.attachments.select_related("uploaded_by"),
        "actions": available_actions(change, user),
        "can_edit": permissions.can_edit(change, user),
        "can_close": has_transition_perm(change.close, user),
        "can_assign": permissions.is_change_manager(change, user)
        and change.state in ("draft", "submitted", "assessment", "cab_review",
                             "more_information", "approved"),
        "can_attach": permissions.is_involved_or_change_manager(change, user)
        and change.state not in ("closed", "cancelled"),
        "open_round": services.round_kind(change),
        "own_votes": own_votes.select_related("member"),
        "vote_form": vote_form or (VoteForm(members=members) if members else None),
        "attachment_form": attachment_form or AttachmentForm(),
        "close_form": close_form or CloseForm(),
        "assign_form": AssignImplementerForm(initial={"implementer": change.implementer_id}),
        "conflict_lines": change.conflict_summary.splitlines(),
    }, status=status)


@login_required
@require_POST
def change_transition(request, pk, action):
    change = get_visible_change(request, pk)
    arguments = {}
    if action == "close":
        form = CloseForm(request.POST)
        if not form.is_valid():
            return change_detail(request, pk, close_form=form, status=400)
        arguments = {"code": form.cleaned_data["code"], "notes": form.cleaned_data["notes"]}
    try:
        change = services.transition(change, action, request.user, request=request, **arguments)
    except ChangeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{change.reference} is now {change.get_state_display()}.")
        for line in change.conflict_summary.splitlines():
            if action in ("submit", "schedule"):
                messages.warning(request, line)
    return redirect("changes:detail", pk=change.pk)


@login_required
@require_POST
def change_vote(request, pk):
    change = get_visible_change(request, pk)
    members = services.members_for(request.user, change)
    form = VoteForm(request.POST, members=members)
    if not members:
        existing = change.votes.filter(round=change.review_round, cast_by=request.user).first()
        if existing is not None:
            messages.info(request, f"Your vote ({existing.get_decision_display()}) on "
                                   f"{change.reference} was already recorded.")
            return redirect("changes:detail", pk=change.pk)
        raise PermissionDenied(f"You have no vote to cast on {change.reference} now.")
    if not form.is_valid():
        return change_detail(request, pk, vote_form=form, status=400)
    try:
        vote, created = services.cast_vote(
            change, request.user, form.cleaned_data["decision"], form.cleaned_data["comment"],
            member=form.cleaned_data["member"], request=request,
        )
    except ChangeError as error:
        messages.error(request, str(error))
    else:
        if created:
            messages.success(request, f"Your vote ({vote.get_decision_display()}) on "
                                      f"{change.reference} was recorded.")
        else:
            messages.info(request, f"A vote ({vote.get_decision_display()}) for {vote.member} "
                                   f"on {change.reference} was already recorded.")
    return redirect("changes:detail", pk=change.pk)


@login_required
@require_POST
def change_attach(request, pk):
    change = get_visible_change(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return change_detail(request, pk, attachment_form=form, status=400)
    try:
        services.add_attachment(
            change, request.user, form.cleaned_data["file"], form.content_type, form.sha256,
            form.cleaned_data["description"], request=request,
        )
    except ChangeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{form.cleaned_data['file'].name} was attached.")
    return redirect("changes:detail", pk=change.pk)


@login_required
@require_POST
def change_assign(request, pk):
    change = get_visible_change(request, pk)
    form = AssignImplementerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an active user as implementer.")
        return redirect("changes:detail", pk=change.pk)
    try:
        services.assign_implementer(change, request.user, form.cleaned_data["implementer"],
                                    request=request)
    except ChangeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{form.cleaned_data['implementer']} will implement "
                                  f"{change.reference}.")
    return redirect("changes:detail", pk=change.pk)




@login_required
def attachment_download(request, pk, attachment_id):
    change = get_visible_change(request, pk)
    attachment = get_object_or_404(change.attachments, pk=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-SHA256"] = attachment.sha256
    return response
