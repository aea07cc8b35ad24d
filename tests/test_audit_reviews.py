"""Log reviews: scheduled creation, scope, sign-off rules, escalation, PDF."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from policyhub.audit.models import AuditEvent, LogReview
from policyhub.audit.reviews import (
    create_due_reviews,
    escalate_overdue_reviews,
    events_in_scope,
    last_completed_period,
    sign_off,
)
from policyhub.audit.services import record_event
from policyhub.audit.tasks import create_log_reviews_task
from policyhub.exports.signing import verify_pdf_bytes

from .conftest import make_user

pytestmark = pytest.mark.django_db
# send_once commits its claim before sending, so tests that email need real
# transactions; serialized_rollback restores the groups the migrations create.
EMAILS = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def aware(*parts):
    return timezone.make_aware(datetime(*parts))


@pytest.fixture
def security(personas):
    team = Group.objects.get(name="Security Team")
    first = make_user("secone")
    second = make_user("sectwo")
    first.groups.add(team)
    second.groups.add(team)
    return first, second


def review_covering_now(kind=LogReview.Kind.SECURITY_EVENTS):
    now = timezone.now()
    return LogReview.objects.create(
        kind=kind,
        period_start=now - timedelta(days=1),
        period_end=now + timedelta(days=1),
        due_at=now + timedelta(days=5),
        created_by_label="test",
    )


def test_periods_are_month_and_quarter():
    now = aware(2026, 5, 17, 12)
    assert last_completed_period("security_events", now) == (
        aware(2026, 4, 1),
        aware(2026, 5, 1),
    )
    assert last_completed_period("privileged_access", now) == (
        aware(2026, 1, 1),
        aware(2026, 4, 1),
    )
    january = aware(2026, 1, 3)
    assert last_completed_period("security_events", january) == (
        aware(2025, 12, 1),
        aware(2026, 1, 1),
    )


@EMAILS
def test_creation_is_once_per_period(security):
    now = aware(2026, 5, 17, 12)
    first = create_due_reviews("test", now=now)
    second = create_due_reviews("test", now=now)
    assert sorted(review.kind for review in first) == [
        "privileged_access",
        "security_events",
    ]
    assert second == []
    assert LogReview.objects.count() == 2
    assert AuditEvent.objects.filter(action="logreview.created").count() == 2
    # Each of the two Security Team members hears of each review once.
    assert len(mail.outbox) == 4


@EMAILS
def test_unique_constraint_blocks_duplicate(security):
    create_due_reviews("test", now=aware(2026, 5, 17))
    review = LogReview.objects.get(kind="security_events")
    with pytest.raises(IntegrityError), transaction.atomic():
        LogReview.objects.create(
            kind=review.kind,
            period_start=review.period_start,
            period_end=review.period_end,
            due_at=review.due_at,
            created_by_label="test",
        )


@EMAILS
def test_beat_task_creates_reviews(security):
    create_log_reviews_task.delay()
    created = AuditEvent.objects.filter(action="logreview.created")
    assert created.count() == 2
    assert {event.actor_label for event in created} == {"task:audit.create_log_reviews"}


def test_scope_lists_security_events(personas, client):
    client.post("/accounts/login/", {"login": "employee@example.test", "password": "wrong"})
    record_event("access.denied", outcome="denied", system_actor="test")
    record_event("policy.acknowledged", system_actor="test")
    review = review_covering_now()
    actions = [event.action for event in events_in_scope(review)]
    assert "auth.login" in actions
    assert "access.denied" in actions
    assert "policy.acknowledged" not in actions


def test_security_member_signs_off(security):
    reviewer, _ = security
    review = review_covering_now()
    signed = sign_off(review.pk, reviewer, "No findings.", "Rotate key by Friday (owner: IT).")
    assert signed.status == "signed_off"
    assert signed.reviewer == reviewer
    assert signed.history.count() == 2
    event = AuditEvent.objects.get(action="logreview.signed_off")
    assert event.actor == reviewer
    assert event.detail["has_follow_up"] is True


def test_non_member_cannot_sign_off(personas):
    review = review_covering_now()
    with pytest.raises(PermissionDenied):
        sign_off(review.pk, personas["auditor"], "No findings.", "")


def test_admin_grant_subject_cannot_sign_off(security):
    reviewer, other = security
    review = review_covering_now(LogReview.Kind.PRIVILEGED_ACCESS)
    reviewer.is_staff = True
    reviewer.save()
    with pytest.raises(PermissionDenied, match="another Security Team member"):
        sign_off(review.pk, reviewer, "No findings.", "")
    assert sign_off(review.pk, other, "Staff flag reviewed.", "").status == "signed_off"


def test_findings_required(security):
    review = review_covering_now()
    with pytest.raises(ValidationError, match="Findings are required"):
        sign_off(review.pk, security[0], "   ", "")


def test_second_sign_off_changes_nothing(security):
    first, second = security
    review = review_covering_now()
    sign_off(review.pk, first, "No findings.", "")
    with pytest.raises(ValidationError, match="already signed off"):
        sign_off(review.pk, second, "Other findings.", "")
    review.refresh_from_db()
    assert review.reviewer == first
    assert review.findings == "No findings."


def test_sign_off_through_page(security, client):
    reviewer, _ = security
    review = review_covering_now()
    client.force_login(reviewer)
    page = client.get(f"/audit/reviews/{review.pk}/")
    assert b"Sign off review" in page.content
    response = client.post(
        f"/audit/reviews/{review.pk}/", {"findings": "", "follow_up_actions": ""}
    )
    assert response.status_code == 400
    response = client.post(
        f"/audit/reviews/{review.pk}/",
        {"findings": "No findings.", "follow_up_actions": ""},
    )
    assert response.status_code == 302
    again = client.post(
        f"/audit/reviews/{review.pk}/", {"findings": "Twice.", "follow_up_actions": ""}
    )
    assert again.status_code == 400
    assert b"already signed off" in again.content


@EMAILS
def test_overdue_escalated_once_per_week(security, personas):
    review = review_covering_now()
    now = review.due_at + timedelta(days=1)
    first = escalate_overdue_reviews("test", now=now)
    second = escalate_overdue_reviews("test", now=now)
    assert first == 1
    assert second == 0
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == [
        "author@example.test",
        "secone@example.test",
        "sectwo@example.test",
    ]
    assert AuditEvent.objects.filter(action="logreview.escalated").count() == 1


def test_signed_off_review_exports_signed_pdf(security, client, personas):
    reviewer, _ = security
    review = review_covering_now()
    client.force_login(reviewer)
    assert client.get(f"/audit/reviews/{review.pk}/signed.pdf").status_code == 403
    sign_off(review.pk, reviewer, "No findings.", "")
    client.force_login(personas["auditor"])
    response = client.get(f"/audit/reviews/{review.pk}/signed.pdf")
    assert response.status_code == 200
    assert verify_pdf_bytes(response.content).valid
    assert AuditEvent.objects.filter(action="audit.review_exported_pdf").count() == 1
