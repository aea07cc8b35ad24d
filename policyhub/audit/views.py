"""The audit viewer and log reviews. Views check permission and call services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from . import exports
from .forms import EventFilterForm, ExtractForm, SignOffForm
from .models import AuditEvent, LogReview
from .permissions import VIEW_PERMISSION, is_security_team_member
from .reviews import admin_grant_parties, events_in_scope, sign_off
from .services import record_event

PAGE_SIZE = 50


def _page(queryset, before=None, after=None):
    """Return one page of events, newest first, and the keyset cursors.

    ``before`` shows events older than that id; ``after`` events newer.
    """
    if after is not None:
        rows = list(queryset.filter(pk__gt=after).order_by("id")[: PAGE_SIZE + 1])
        has_newer = len(rows) > PAGE_SIZE
        rows = list(reversed(rows[:PAGE_SIZE]))
        has_older = bool(rows) and queryset.filter(pk__lt=rows[-1].pk).exists()
    else:
        if before is not None:
            queryset_page = queryset.filter(pk__lt=before)
        else:
            queryset_page = queryset
        rows = list(queryset_page.order_by("-id")[: PAGE_SIZE + 1])
        has_older = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        has_newer = (
            before is not None and bool(rows) and queryset.filter(pk__gt=rows[0].pk).exists()
        )
    return {
        "events": rows,
        "older": rows[-1].pk if rows and has_older else None,
        "newer": rows[0].pk if rows and has_newer else None,
    }


def _cursor(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _query_without_cursor(request):
    query = request.GET.copy()
    query.pop("before", None)
    query.pop("after", None)
    return query.urlencode()


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def events(request):
    # Every filter is optional, so a request without any is valid too.
    form = EventFilterForm(request.GET)
    page = {"events": [], "older": None, "newer": None}
    status = 200
    if not form.is_valid():
        status = 400
    else:
        queryset = form.filter(AuditEvent.objects.all())
        page = _page(queryset, _cursor(request, "before"), _cursor(request, "after"))
        record_event(
            "audit.viewed",
            actor=request.user,
            request=request,
            detail={"filters": form.summary(), "shown": len(page["events"])},
        )
    return render(
        request,
        "audit/events.html",
        {
            "form": form,
            "extract_form": ExtractForm(prefix="extract"),
            **page,
            "query": _query_without_cursor(request),
        },
        status=status,
    )


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def export_csv(request):
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "audit/events.html",
            {"form": form, "extract_form": ExtractForm(prefix="extract"), "events": []},
            status=400,
        )
    record_event(
        "audit.exported_csv",
        actor=request.user,
        request=request,
        detail={"filters": form.summary()},
    )
    queryset = form.filter(AuditEvent.objects.all()).order_by("id")
    response = StreamingHttpResponse(
        exports.csv_rows(queryset.iterator(chunk_size=2000)), content_type="text/csv"
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def extract_pdf(request):
    form = ExtractForm(request.GET, prefix="extract")
    limit = settings.AUDIT_EXTRACT_MAX_EVENTS
    if form.is_valid():
        queryset = form.filter(AuditEvent.objects.all()).order_by("id")
        count = queryset.count()
        if count > limit:
            form.add_error(
                None,
                (
                    f"The range holds {count} events, more than the {limit} a signed PDF "
                    "extract may contain. Choose a shorter date range or export CSV."
                ),
            )
    if not form.is_valid():
        return render(
            request,
            "audit/events.html",
            {"form": EventFilterForm(), "extract_form": form, "events": []},
            status=400,
        )
    data = form.cleaned_data
    pdf = exports.extract_pdf(
        list(queryset), data["date_from"], data["date_to"], f"user:{request.user.pk}"
    )
    record_event(
        "audit.exported_pdf",
        actor=request.user,
        request=request,
        detail={"filters": form.summary(), "events": count},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-extract-{data["date_from"]}-{data["date_to"]}.pdf"'
    )
    return response


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def review_list(request):
    reviews = LogReview.objects.select_related("reviewer")
    return render(request, "audit/review_list.html", {"reviews": reviews, "now": timezone.now()})


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def review_detail(request, review_id):
    review = get_object_or_404(LogReview.objects.select_related("reviewer"), pk=review_id)
    form = SignOffForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                sign_off(
                    review.pk,
                    request.user,
                    form.cleaned_data["findings"],
                    form.cleaned_data["follow_up_actions"],
                    request=request,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"You signed off the {review}.")
                return redirect("audit:review_detail", review_id=review.pk)
        status = 400
    events_listed = events_in_scope(review)
    return render(
        request,
        "audit/review_detail.html",
        {
            "review": review,
            "form": form,
            "events": events_listed,
            "can_sign_off": _can_sign_off(request.user, review),
        },
        status=status,
    )


def _can_sign_off(user, review):
    return (
        review.status == LogReview.Status.OPEN
        and user.has_perm("audit.sign_off_logreview")
        and is_security_team_member(user)
        and user.pk not in admin_grant_parties(review)
    )


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
@require_GET
def review_pdf(request, review_id):
    review = get_object_or_404(LogReview, pk=review_id)
    if review.status != LogReview.Status.SIGNED_OFF:
        raise PermissionDenied("Only signed-off reviews export as signed PDFs.")
    pdf = exports.review_pdf(review, list(events_in_scope(review)))
    record_event(
        "audit.review_exported_pdf",
        actor=request.user,
        obj=review,
        request=request,
        detail={"kind": review.kind},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="log-review-{review.pk}.pdf"'
    return response
