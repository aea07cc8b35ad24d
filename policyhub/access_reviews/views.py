"""Portal pages: a reviewer's rights to decide, and the compliance admins'
list of reviews, dashboard, close and exports.

Views find objects through the services' querysets, so anyone who may not
decide an item gets 404 for it; the rules live in ``services``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .exports import export_csv, export_pdf
from .forms import DecisionForm, StartReviewForm
from .models import AccessReview, ReviewItem


def _mine_context(request, errors=None, submitted=None):
    items = (
        services.items_to_decide(request.user)
        .select_related("review", "subject", "decided_by")
        .order_by(
            "review__period",
            "subject__last_name",
            "subject__first_name",
            "subject_id",
            "right_label",
        )
    )
    return {
        "items": items,
        "today": timezone.localdate(),
        "errors": errors or {},
        "submitted": submitted or {},
    }


@login_required
@require_GET
def mine(request):
    """Show the rights a reviewer decides: their direct reports' rights, and
    for compliance admins the rights of people without an active line manager."""
    return render(request, "access_reviews/mine.html", _mine_context(request))


@login_required
@require_POST
def decide_item(request, item_id):
    item = get_object_or_404(
        services.items_to_decide(request.user).select_related("subject"), pk=item_id
    )
    form = DecisionForm(request.POST)
    error = None
    if not form.is_valid():
        error = " ".join(message for messages_ in form.errors.values() for message in messages_)
    else:
        try:
            item = services.decide(
                item,
                request.user,
                form.cleaned_data["decision"],
                form.cleaned_data["reason"],
                request=request,
            )
        except services.AlreadyDecided as exc:
            messages.info(request, " ".join(exc.messages))
            return redirect(reverse("access_reviews:mine") + f"#item-{item.pk}")
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if error:
        submitted = {
            item.pk: {
                "decision": request.POST.get("decision", ""),
                "reason": request.POST.get("reason", ""),
            }
        }
        return render(
            request,
            "access_reviews/mine.html",
            _mine_context(request, errors={item.pk: error}, submitted=submitted),
            status=400,
        )
    verb = "revoked" if item.decision == ReviewItem.Decision.REVOKE else "kept"
    messages.success(request, f"{item.right_label} of {item.subject} is {verb}.")
    return redirect(reverse("access_reviews:mine") + f"#item-{item.pk}")


def _progress(reviews):
    decision = ReviewItem.Decision
    return reviews.annotate(
        total=Count("items"),
        undecided=Count("items", filter=Q(items__decision=decision.PENDING)),
        revoked=Count("items", filter=Q(items__decision=decision.REVOKE)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def overview(request):
    services.require_compliance_admin(request.user)
    form = StartReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review, created = services.start_review(
                form.cleaned_data["period"],
                form.cleaned_data["due_date"],
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                messages.success(request, f"{review} started with {review.items.count()} rights.")
            else:
                messages.info(request, f"{review} exists already; nothing was added.")
            return redirect("access_reviews:detail", review_id=review.pk)
    return render(
        request,
        "access_reviews/overview.html",
        {
            "form": form,
            "reviews": _progress(AccessReview.objects.all()),
            "today": timezone.localdate(),
        },
        status=400 if form.errors else 200,
    )


def reviewer_progress(review, today):
    """Return one row per reviewer (None for the compliance admins' queue)."""
    decision = ReviewItem.Decision
    rows = (
        ReviewItem.objects.filter(review=review)
        .values(
            "reviewer_id",
            "reviewer__first_name",
            "reviewer__last_name",
            "reviewer__email",
            "reviewer__is_active",
        )
        .annotate(
            total=Count("pk"),
            kept=Count("pk", filter=Q(decision=decision.KEEP)),
            revoked=Count("pk", filter=Q(decision=decision.REVOKE)),
            undecided=Count("pk", filter=Q(decision=decision.PENDING)),
            closed=Count("pk", filter=Q(decision=decision.CLOSED)),
        )
        .order_by("reviewer__last_name", "reviewer__first_name", "reviewer_id")
    )
    for row in rows:
        name = f"{row['reviewer__first_name']} {row['reviewer__last_name']}".strip()
        row["name"] = name or row["reviewer__email"] or "Compliance admins"
        row["overdue"] = bool(row["undecided"]) and review.is_open and today > review.due_date
        yield row


@login_required
@require_GET
def detail(request, review_id):
    services.require_compliance_admin(request.user)
    review = get_object_or_404(
        AccessReview.objects.select_related("started_by", "closed_by"), pk=review_id
    )
    today = timezone.localdate()
    return render(
        request,
        "access_reviews/detail.html",
        {
            "review": review,
            "today": today,
            "counts": review.outcome if not review.is_open else services.outcome_counts(review),
            "reviewers": list(reviewer_progress(review, today)),
        },
    )


@login_required
@require_POST
def close(request, review_id):
    review = get_object_or_404(AccessReview, pk=review_id)
    review = services.close_review(review, request.user, request=request)
    counts = review.outcome
    messages.success(
        request,
        f"{review} is closed: {counts['kept']} kept, {counts['revoked']} revoked, "
        f"{counts['not_certified']} not certified.",
    )
    return redirect("access_reviews:detail", review_id=review.pk)


@login_required
@require_GET
def export(request, review_id, kind):
    services.require_compliance_admin(request.user)
    review = get_object_or_404(AccessReview, pk=review_id)
    if kind not in ("csv", "pdf"):
        raise Http404(f"Unknown export format {kind!r}; use csv or pdf.")
    slug = review.period.replace(" ", "-")
    if kind == "csv":
        data = export_csv(review, request.user, request=request)
        content_type = "text/csv; charset=utf-8"
    else:
        data = export_pdf(review, request.user, request=request)
        content_type = "application/pdf"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="access-review-{slug}.{kind}"'
    return response
