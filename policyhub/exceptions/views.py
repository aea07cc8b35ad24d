import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from ..accounts import roles
from ..audit.services import record_event
from ..policies.models import PolicyPage
from . import services
from .forms import DecisionForm, ExceptionRequestForm, RegisterFilterForm, RevokeForm
from .models import PolicyException

REGISTER_PERMISSION = "policy_exceptions.view_exception_register"
COLUMNS = ["id", "policy", "version", "statements", "state", "risk", "requester",
           "end_date", "flagged_for_review"]


def _row(exception):
    return [exception.pk, exception.version.policy.slug, exception.version.label,
            " ".join(exception.statements), exception.state, exception.risk_level,
            str(exception.requester), exception.end_date.isoformat(), exception.flagged_for_review]


def _errors_to_form(form, error):
    if hasattr(error, "message_dict"):
        for field, texts in error.message_dict.items():
            target = field if field in form.fields else None
            for text in texts:
                form.add_error(target, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


@login_required
def request_exception(request, slug):
    policy = get_object_or_404(PolicyPage, slug=slug, live=True)
    version = policy.current_version()
    form = ExceptionRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                exception, _ = services.request_exception(
                    request.user, version, token=data["token"], statements=data["statements"],
                    scope=data["scope"], business_reason=data["business_reason"],
                    impact=data["impact"], likelihood=data["likelihood"],
                    compensating_controls=data["compensating_controls"],
                    end_date=data["end_date"], renews=_renewed(request), request=request,
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                messages.success(request, "Your exception request was sent to the approvers.")
                return redirect("exceptions:detail", pk=exception.pk)
        status = 400
    return TemplateResponse(
        request, "exceptions/request.html",
        {"policy": policy, "version": version, "form": form, "renews": _renewed(request)},
        status=status,
    )


def _renewed(request):
    renews_id = request.GET.get("renews") or request.POST.get("renews")
    if not renews_id or not str(renews_id).isdigit():
        return None
    return services.visible_to(request.user).filter(pk=renews_id, requester=request.user).first()


@login_required
def detail(request, pk):
    exception = get_object_or_404(services.visible_to(request.user), pk=pk)
    open_roles = services.roles_user_may_decide(exception, request.user)
    return TemplateResponse(request, "exceptions/detail.html", {
        "exception": exception,
        "decisions": exception.decisions.select_related("decided_by"),
        "decision_form": DecisionForm(roles=open_roles) if open_roles else None,
        "revoke_form": RevokeForm() if roles.user_has_role(request.user, roles.COMPLIANCE_ADMINS)
        and exception.state == "approved" else None,
        "history": exception.history.select_related("history_user").order_by("history_date"),
    })


@login_required
@require_POST
def decide(request, pk):
    exception = get_object_or_404(services.visible_to(request.user), pk=pk)
    open_roles = services.roles_user_may_decide(exception, request.user)
    form = DecisionForm(request.POST, roles=open_roles)
    if not open_roles:
        raise PermissionDenied("You have no decision to make on this exception.")
    if form.is_valid():
        try:
            services.decide(exception, request.user, form.cleaned_data["role"],
                            form.cleaned_data["decision"] == "approve",
                            form.cleaned_data["comment"], request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Your decision was recorded.")
    else:
        messages.error(request, "Choose approve or reject, and give a reason when rejecting.")
    return redirect("exceptions:detail", pk=pk)


@login_required
@require_POST
def revoke(request, pk):
    exception = get_object_or_404(services.visible_to(request.user), pk=pk)
    form = RevokeForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        services.revoke(exception, request.user, reason, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The exception was revoked.")
    return redirect("exceptions:detail", pk=pk)


@login_required
@require_POST
def withdraw(request, pk):
    exception = get_object_or_404(services.visible_to(request.user), pk=pk)
    try:
        services.withdraw(exception, request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("exceptions:detail", pk=pk)


def _filtered(form, queryset):
    if not form.is_valid():
        return queryset.none()
    data = form.cleaned_data
    if data["policy"]:
        queryset = queryset.filter(version__policy__slug=data["policy"])
    if data["risk"]:
        queryset = queryset.filter(risk_level=data["risk"])
    if data["state"]:
        queryset = queryset.filter(state=data["state"])
    if data["expires_before"]:
        queryset = queryset.filter(end_date__lte=data["expires_before"])
    return queryset


@login_required
def register(request):
    """The exception register for compliance admins and auditors, with exports."""
    if not request.user.has_perm(REGISTER_PERMISSION):
        raise PermissionDenied("Only compliance admins and auditors see the exception register.")
    form = RegisterFilterForm(request.GET or None)
    queryset = _filtered(form, services.visible_to(request.user)) if form.is_bound else services.visible_to(request.user)
    export = request.GET.get("format")
    if export:
        record_event("export.exception_register", actor=request.user, request=request,
                     detail={"format": export, "filters": {k: v for k, v in request.GET.items() if k != "format"}})
    if export == "csv":
        return _csv_response(queryset)
    if export == "xlsx":
        return _xlsx_response(queryset)
    if export == "pdf":
        return _pdf_response(queryset)
    return TemplateResponse(request, "exceptions/register.html", {
        "form": form, "exceptions": queryset[:500], "query": request.GET.urlencode(),
    }, status=400 if form.is_bound and not form.is_valid() else 200)


class _Echo:
    def write(self, value):
        return value


def _csv_response(queryset):
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in [COLUMNS, *(_row(e) for e in queryset.iterator())])
    response = StreamingHttpResponse(rows, content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="exception-register.csv"'
    return response


def _xlsx_response(queryset):
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Exceptions")
    sheet.append(COLUMNS)
    for exception in queryset.iterator():
        sheet.append(_row(exception))
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="exception-register.xlsx"'
    return response


def _pdf_response(queryset):
    from django.conf import settings
    from django.utils import timezone
    from weasyprint import HTML

    from ..exports.signing import sign_pdf

    html = render_to_string("exceptions/register_pdf.html", {
        "exceptions": list(queryset[:5000]), "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "generated_at": timezone.now(),
    })
    data = sign_pdf(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(), reason="Exception register")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="exception-register.pdf"'
    return response


@login_required
def mine(request):
    return TemplateResponse(request, "exceptions/mine.html", {
        "exceptions": PolicyException.objects.filter(requester=request.user).select_related("version__policy"),
        "to_decide": [e for e in services.visible_to(request.user).filter(state="submitted")
                      if services.roles_user_may_decide(e, request.user)],
    })
