"""Portal pages for compliance administrators: assignment rules and access
suspensions. The rules live in the services package."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ..audit.services import record_event
from . import exports, reports
from .forms import RuleEditForm, RuleRetireForm
from .models import AccessSuspension, TrainingAssignment, TrainingRule
from .permissions import require_compliance_admin
from .services import edit_rule, retire_rule
from .services.suspensions import suspend_after_days


def _rules():
    status = TrainingAssignment.Status
    return (
        TrainingRule.objects.select_related("module", "group", "user", "created_by")
        .annotate(
            open_count=Count(
                "trainingassignment", filter=Q(trainingassignment__status=status.OPEN)
            ),
            completed_count=Count(
                "trainingassignment", filter=Q(trainingassignment__status=status.COMPLETED)
            ),
        )
        .order_by("retired_at", "module__title", "pk")
    )


@login_required
def rule_list(request):
    require_compliance_admin(request.user, "manage training rules and suspensions")
    return render(request, "training/rules.html", {"rules": list(_rules())})


def _rule_page(request, rule, edit_form, retire_form, status=200):
    history = rule.history.select_related("history_user").order_by("-history_date")[:50]
    return render(
        request,
        "training/rule.html",
        {
            "rule": rule,
            "edit_form": edit_form,
            "retire_form": retire_form,
            "history": history,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_detail(request, rule_id):
    require_compliance_admin(request.user, "manage training rules and suspensions")
    rule = get_object_or_404(_rules(), pk=rule_id)
    edit_form = RuleEditForm(
        request.POST or None, initial={"due_in_days": rule.due_in_days}, prefix="edit"
    )
    if request.method == "POST" and edit_form.is_valid():
        try:
            _, changed = edit_rule(request.user, rule, request=request, **edit_form.cleaned_data)
        except ValidationError as exc:
            edit_form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Rule {rule.pk} now gives {edit_form.cleaned_data['due_in_days']} "
                "days to people assigned from now on."
                if changed
                else f"Rule {rule.pk} already gives that many days; nothing changed.",
            )
            return redirect("training:rule", rule_id=rule.pk)
    status = 400 if edit_form.errors else 200
    return _rule_page(request, rule, edit_form, RuleRetireForm(prefix="retire"), status)


@login_required
@require_POST
def rule_retire(request, rule_id):
    require_compliance_admin(request.user, "manage training rules and suspensions")
    rule = get_object_or_404(_rules(), pk=rule_id)
    form = RuleRetireForm(request.POST, prefix="retire")
    if form.is_valid():
        try:
            _, retired = retire_rule(
                request.user, rule, form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Rule {rule.pk} retired; its open assignments are being released."
                if retired
                else f"Rule {rule.pk} was already retired; nothing changed.",
            )
            return redirect("training:rule", rule_id=rule.pk)
    edit_form = RuleEditForm(initial={"due_in_days": rule.due_in_days}, prefix="edit")
    return _rule_page(request, rule, edit_form, form, status=400)


@login_required
def suspension_list(request):
    require_compliance_admin(request.user, "manage training rules and suspensions")
    lifted = (
        AccessSuspension.objects.filter(lifted_at__isnull=False)
        .select_related("user")
        .order_by("-lifted_at")[:100]
    )
    return render(
        request,
        "training/suspensions.html",
        {
            "in_force": reports.suspensions(),
            "lifted": list(lifted),
            "suspend_after_days": suspend_after_days(),
        },
    )


@login_required
def suspension_export(request):
    """The suspensions in force as CSV, for the identity provider and HR."""
    require_compliance_admin(request.user, "manage training rules and suspensions")
    rows = reports.suspension_rows()
    record_event(
        "training.suspensions_exported",
        actor=request.user,
        request=request,
        object_type="training.accesssuspension",
        object_id="csv",
        detail={"rows": len(rows)},
    )
    response = HttpResponse(
        exports.to_csv(rows, exports.SUSPENSION_COLUMNS), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="training-suspensions-{stamp}.csv"'
    return response
