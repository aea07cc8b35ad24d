"""Quarterly access reviews: snapshot, decisions, separation of duties,
leavers, reminders, escalation, signed report and the quarterly schedule."""

import csv
import io
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm
from pypdf import PdfReader

from policyhub.access_reviews import services
from policyhub.access_reviews.models import AccessReview, ReviewItem
from policyhub.access_reviews.periods import (
    add_business_days,
    period_label,
    previous_quarter_label,
    quarter_of,
)
from policyhub.access_reviews.tasks import daily_access_review_task, start_quarterly_review_task
from policyhub.accounts import roles
from policyhub.accounts.deprovisioning import deactivate_user
from policyhub.attestations.system import SYSTEM_USERNAME
from policyhub.audit.models import AuditEvent
from policyhub.exports.signing import verify_pdf_bytes

from .conftest import make_user

pytestmark = pytest.mark.django_db

# send_once commits its claim, so tests that send email run outside the
# per-test transaction; serialized_rollback restores the migration data.
sends_email = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DOWNLOAD = "policies.download_signed_pdf"


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()


def current_period():
    return period_label(*quarter_of(timezone.localdate()))


@pytest.fixture
def org(personas):
    """approver manages employee and owner; owner2 manages approver; the
    compliance admin (author) has no manager."""
    manager = personas["approver"]
    for name in ("employee", "owner"):
        personas[name].manager = manager
        personas[name].save()
    manager.manager = personas["owner2"]
    manager.save()
    return personas


@pytest.fixture
def review(org):
    started, _ = services.start_review(
        current_period(), timezone.localdate() + timedelta(days=10), actor=org["author"]
    )
    return started


def item_of(review, person, group_name=None):
    items = ReviewItem.objects.filter(review=review, subject=person)
    if group_name:
        return items.get(group__name=group_name)
    return items.get(kind=ReviewItem.Kind.OBJECT_PERMISSION)


def group_names(user):
    return set(get_user_model().objects.get(pk=user.pk).groups.values_list("name", flat=True))


def test_start_snapshots_groups_and_object_permissions(org, published_policy):
    _, version = published_policy
    assign_perm(DOWNLOAD, org["employee"], version)
    review, created = services.start_review(current_period(), actor=org["author"])

    assert created
    employee_items = ReviewItem.objects.filter(review=review, subject=org["employee"])
    assert employee_items.count() == 2
    group_item = employee_items.get(kind=ReviewItem.Kind.GROUP)
    assert group_item.group.name == roles.EMPLOYEES
    assert group_item.right_label == f"Member of {roles.EMPLOYEES}"
    assert group_item.reviewer == org["approver"]
    perm_item = employee_items.get(kind=ReviewItem.Kind.OBJECT_PERMISSION)
    assert perm_item.permission.codename == "download_signed_pdf"
    assert perm_item.object_pk == str(version.pk)
    assert str(version) in perm_item.right_label
    assert perm_item.reviewer == org["approver"]
    assert set(
        ReviewItem.objects.filter(review=review, subject=org["approver"]).values_list(
            "reviewer__username", flat=True
        )
    ) == {"owner2"}
    author_items = ReviewItem.objects.filter(review=review, subject=org["author"])
    assert author_items.count() == 2
    assert not author_items.filter(reviewer__isnull=False).exists()
    assert not ReviewItem.objects.filter(review=review, subject=org["outsider"]).exists()
    assert not ReviewItem.objects.filter(subject__username=SYSTEM_USERNAME).exists()
    assert AuditEvent.objects.filter(action="access_review.started").count() == 1


def test_inactive_users_are_not_snapshotted(org):
    deactivate_user(org["owner"], actor=org["author"], reason="Left.")
    review, _ = services.start_review(current_period(), actor=org["author"])
    assert not ReviewItem.objects.filter(review=review, subject=org["owner"]).exists()


def test_starting_twice_creates_nothing(review, org):
    count = ReviewItem.objects.count()
    again, created = services.start_review(review.period, actor=org["author"])
    assert not created
    assert again.pk == review.pk
    assert ReviewItem.objects.count() == count
    assert AccessReview.objects.count() == 1
    assert AuditEvent.objects.filter(action="access_review.started").count() == 1


def test_database_rejects_duplicate_period_and_item(review, org):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessReview.objects.create(
            period=review.period, due_date=review.due_date, started_by=org["author"]
        )
    existing = item_of(review, org["employee"], roles.EMPLOYEES)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewItem.objects.create(
            review=review,
            subject=org["employee"],
            kind=existing.kind,
            right_key=existing.right_key,
            right_label="copy",
        )


def test_only_compliance_admins_start(org):
    with pytest.raises(PermissionDenied):
        services.start_review(current_period(), actor=org["approver"])
    assert not AccessReview.objects.exists()


@pytest.mark.parametrize("period", ["2026Q4", "2026 Q5", "Q4 2026", ""])
def test_invalid_period_rejected(org, period):
    with pytest.raises(ValidationError, match='write the year and quarter as "2026 Q4"'):
        services.start_review(period, actor=org["author"])


def test_revoke_removes_group_at_once(review, org, client):
    item = item_of(review, org["employee"], roles.EMPLOYEES)
    client.force_login(org["approver"])
    response = client.post(
        f"/access-reviews/items/{item.pk}/decide/",
        {"decision": "revoke", "reason": "Moved to a contractor role."},
    )

    assert response.status_code == 302
    assert roles.EMPLOYEES not in group_names(org["employee"])
    item.refresh_from_db()
    assert item.decision == ReviewItem.Decision.REVOKE
    assert item.decided_by == org["approver"]
    assert item.decided_at is not None
    assert item.applied_at == item.decided_at
    assert item.reason == "Moved to a contractor role."
    event = AuditEvent.objects.get(action="access_review.item_revoked")
    assert event.actor == org["approver"]
    assert event.detail["right_was_held"] is True
    assert item.history.first().history_user == org["approver"]


def test_revoke_removes_object_permission(org, client):
    group = Group.objects.get(name=roles.AUDITORS)
    assign_perm("auth.change_group", org["employee"], group)
    review, _ = services.start_review(current_period(), actor=org["author"])
    item = item_of(review, org["employee"])
    client.force_login(org["approver"])
    client.post(
        f"/access-reviews/items/{item.pk}/decide/",
        {"decision": "revoke", "reason": "Not needed for payments work."},
    )

    fresh = get_user_model().objects.get(pk=org["employee"].pk)
    assert not fresh.has_perm("auth.change_group", group)
    assert AuditEvent.objects.filter(action="access.object_permission_removed").exists()


def test_keep_records_who_and_when(review, org):
    item = item_of(review, org["employee"], roles.EMPLOYEES)
    services.decide(item, org["approver"], "keep")
    item.refresh_from_db()
    assert item.decision == ReviewItem.Decision.KEEP
    assert item.decided_by == org["approver"]
    assert item.decided_at is not None
    assert item.applied_at is None
    assert roles.EMPLOYEES in group_names(org["employee"])
    assert AuditEvent.objects.filter(action="access_review.item_kept").count() == 1


def test_revoke_without_reason_rejected(review, org, client):
    item = item_of(review, org["employee"], roles.EMPLOYEES)
    with pytest.raises(ValidationError, match="Give the reason for revoking"):
        services.decide(item, org["approver"], "revoke", "   ")
    client.force_login(org["approver"])
    response = client.post(
        f"/access-reviews/items/{item.pk}/decide/", {"decision": "revoke", "reason": ""}
    )

    assert response.status_code == 400
    assert "Give the reason for revoking Member of Employees" in response.content.decode()
    item.refresh_from_db()
    assert item.decision == ReviewItem.Decision.PENDING
    assert roles.EMPLOYEES in group_names(org["employee"])


def test_invalid_decision_rejected(review, org, client):
    item = item_of(review, org["employee"], roles.EMPLOYEES)
    with pytest.raises(ValidationError, match="'grant' is invalid"):
        services.decide(item, org["approver"], "grant", "x")
    client.force_login(org["approver"])
    response = client.post(f"/access-reviews/items/{item.pk}/decide/", {"reason": "typed"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose keep or revoke." in body
    assert ">typed</textarea>" in body


def test_double_submit_records_once(review, org, client):
    item = item_of(review, org["employee"], roles.EMPLOYEES)
    client.force_login(org["approver"])
    data = {"decision": "revoke", "reason": "Role ended."}
    client.post(f"/access-reviews/items/{item.pk}/decide/", data)
    response = client.post(f"/access-reviews/items/{item.pk}/decide/", data, follow=True)

    assert response.status_code == 200
    assert "was already marked revoke" in response.content.decode()
    assert AuditEvent.objects.filter(action="access_review.item_revoked").count() == 1
    assert item.history.filter(history_change_reason="Decided: revoke").count() == 1


def test_keep_may_become_revoke_but_revoke_is_final(review, org):
    item = item_of(review, org["employee"], roles.EMPLOYEES)
    services.decide(item, org["approver"], "keep")
    with pytest.raises(services.AlreadyDecided, match="already marked keep"):
        services.decide(item, org["approver"], "keep")
    services.decide(item, org["approver"], "revoke", "Changed my mind: not needed.")
    assert roles.EMPLOYEES not in group_names(org["employee"])
    with pytest.raises(services.AlreadyDecided, match="a revocation is final"):
        services.decide(item, org["approver"], "keep")


def test_manager_cannot_review_own_rights(review, org, client):
    own = item_of(review, org["approver"], roles.APPROVERS)
    assert own.reviewer == org["owner2"]
    client.force_login(org["approver"])
    page = client.get("/access-reviews/").content.decode()
    assert f"item-{own.pk}" not in page
    response = client.post(
        f"/access-reviews/items/{own.pk}/decide/", {"decision": "keep", "reason": ""}
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        services.decide(own, org["approver"], "keep")
    services.decide(own, org["owner2"], "keep")


def test_admin_queue_excludes_own_rights(review, org, client):
    own = item_of(review, org["author"], roles.COMPLIANCE_ADMINS)
    assert own.reviewer is None
    client.force_login(org["author"])
    response = client.post(
        f"/access-reviews/items/{own.pk}/decide/", {"decision": "keep", "reason": ""}
    )
    assert response.status_code == 404
    second_admin = make_user("admin2", roles.COMPLIANCE_ADMINS)
    services.decide(own, second_admin, "keep")
    own.refresh_from_db()
    assert own.decided_by == second_admin


def test_admin_decides_when_reviewer_deactivated(review, org):
    item = item_of(review, org["employee"], roles.EMPLOYEES)
    deactivate_user(org["approver"], actor=org["author"], reason="Left.")
    services.decide(item, org["author"], "keep")
    item.refresh_from_db()
    assert item.decided_by == org["author"]


@pytest.mark.parametrize("persona", ["outsider", "employee", "owner2", "auditor"])
def test_outsider_gets_404_for_item(review, org, client, persona):
    item = item_of(review, org["employee"], roles.EMPLOYEES)
    client.force_login(org[persona])
    response = client.post(
        f"/access-reviews/items/{item.pk}/decide/", {"decision": "revoke", "reason": "x"}
    )
    assert response.status_code == 404
    assert roles.EMPLOYEES in group_names(org["employee"])


@pytest.mark.parametrize(
    "path",
    [
        "/access-reviews/reviews/",
        "/access-reviews/reviews/{pk}/",
        "/access-reviews/reviews/{pk}/export/csv/",
        "/access-reviews/reviews/{pk}/export/pdf/",
    ],
)
def test_only_compliance_admins_see_dashboard(review, org, client, path):
    client.force_login(org["approver"])
    assert client.get(path.format(pk=review.pk)).status_code == 403
    client.force_login(org["author"])
    assert client.get(path.format(pk=review.pk)).status_code == 200


def test_only_compliance_admins_close(review, org, client):
    client.force_login(org["approver"])
    assert client.post(f"/access-reviews/reviews/{review.pk}/close/").status_code == 403
    review.refresh_from_db()
    assert review.is_open


def test_deactivated_users_items_closed(review, org):
    deactivate_user(org["employee"], actor=org["author"], reason="Left the bank.")
    items = ReviewItem.objects.filter(review=review, subject=org["employee"])
    assert set(items.values_list("decision", flat=True)) == {ReviewItem.Decision.CLOSED}
    item = items.first()
    assert item.history.first().history_change_reason == "Account deactivated"
    with pytest.raises(ValidationError, match="closed because the account was deactivated"):
        services.decide(item, org["approver"], "keep")


def test_close_records_outcome_and_stops_decisions(review, org, client):
    kept = item_of(review, org["employee"], roles.EMPLOYEES)
    services.decide(kept, org["approver"], "keep")
    client.force_login(org["author"])
    client.post(f"/access-reviews/reviews/{review.pk}/close/")

    review.refresh_from_db()
    assert not review.is_open
    assert review.closed_by == org["author"]
    total = review.items.count()
    assert review.outcome == {
        "items": total,
        "kept": 1,
        "revoked": 0,
        "not_certified": total - 1,
        "closed_deactivated": 0,
    }
    other = item_of(review, org["owner"], roles.POLICY_OWNERS)
    with pytest.raises(ValidationError, match="is closed; decisions can no longer"):
        services.decide(other, org["approver"], "keep")
    assert AuditEvent.objects.filter(action="access_review.closed").count() == 1


def test_signed_pdf_and_csv_report(review, org, client):
    revoked = item_of(review, org["employee"], roles.EMPLOYEES)
    services.decide(revoked, org["approver"], "revoke", "No longer in the team.")
    services.close_review(review, org["author"])
    client.force_login(org["author"])

    response = client.get(f"/access-reviews/reviews/{review.pk}/export/pdf/")
    assert response["Content-Type"] == "application/pdf"
    result = verify_pdf_bytes(response.content)
    assert result.valid, result.problem
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert f"Access review {review.period}" in text
    assert "Not certified" in text
    assert "No longer in the team." in text
    assert "Member of Policy Owners" in text

    response = client.get(f"/access-reviews/reviews/{review.pk}/export/csv/")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == review.items.count() + 1
    results = {(row[2], row[6]): row[7] for row in rows[1:]}
    assert results[(org["employee"].email, "Member of Employees")] == "Revoked"
    assert results[(org["owner"].email, "Member of Policy Owners")] == "Not certified"
    exports = AuditEvent.objects.filter(action="access_review.exported")
    assert sorted(exports.values_list("detail__format", flat=True)) == ["csv", "pdf"]


@sends_email
def test_reminders_once_per_day(review, org):
    AccessReview.objects.filter(pk=review.pk).update(due_date=timezone.localdate())
    today = timezone.localdate()
    daily_access_review_task.apply(kwargs={"day": today.isoformat()})
    daily_access_review_task.apply(kwargs={"day": today.isoformat()})

    to_manager = [m for m in mail.outbox if m.to == [org["approver"].email]]
    assert len(to_manager) == 1
    assert to_manager[0].subject.startswith(f"Reminder: access review {review.period}")
    assert "Employee" not in to_manager[0].body
    to_admin = [m for m in mail.outbox if m.to == [org["author"].email]]
    assert len(to_admin) == 1

    tomorrow = (today + timedelta(days=1)).isoformat()
    daily_access_review_task.apply(kwargs={"day": tomorrow})
    assert len([m for m in mail.outbox if m.to == [org["approver"].email]]) == 2


@sends_email
def test_no_reminder_before_reminder_days(review, org, settings):
    settings.POLICYHUB_ACCESS_REVIEW_REMINDER_DAYS_BEFORE = [1]
    daily_access_review_task.apply(kwargs={"day": timezone.localdate().isoformat()})
    assert mail.outbox == []


@sends_email
def test_escalation_reaches_managers_manager_once(review, org, settings):
    settings.POLICYHUB_ACCESS_REVIEW_ESCALATION_AFTER_DAYS = 3
    past = timezone.localdate() - timedelta(days=5)
    AccessReview.objects.filter(pk=review.pk).update(due_date=past)
    today = timezone.localdate()
    for offset in (0, 0, 1):
        daily_access_review_task.apply(kwargs={"day": (today + timedelta(days=offset)).isoformat()})

    escalations = [m for m in mail.outbox if m.subject.startswith("Escalation")]
    to_boss = [m for m in escalations if m.to == [org["owner2"].email]]
    assert len(to_boss) == 1
    assert "Employee" not in to_boss[0].body
    managed = ReviewItem.objects.filter(review=review, reviewer=org["approver"])
    assert not managed.filter(escalated_at__isnull=True).exists()
    history = ReviewItem.history.filter(history_change_reason="Escalated past the due date")
    assert set(history.values_list("history_user__username", flat=True)) == {SYSTEM_USERNAME}
    deliveries = [m for m in mail.outbox if m.to == [org["approver"].email]]
    assert all(m.subject.startswith("Overdue") for m in deliveries)


@sends_email
def test_no_escalation_before_threshold(review, org, settings):
    settings.POLICYHUB_ACCESS_REVIEW_ESCALATION_AFTER_DAYS = 7
    past = timezone.localdate() - timedelta(days=6)
    AccessReview.objects.filter(pk=review.pk).update(due_date=past)
    daily_access_review_task.apply(kwargs={"day": timezone.localdate().isoformat()})
    assert not [m for m in mail.outbox if m.subject.startswith("Escalation")]


def next_quarter_start(day):
    year, quarter = quarter_of(day)
    if quarter == 4:
        return day.replace(year=year + 1, month=1, day=1)
    return day.replace(month=3 * quarter + 1, day=1)


def test_quarterly_schedule_starts_once_per_period(org):
    day = next_quarter_start(timezone.localdate())
    first = start_quarterly_review_task.apply(kwargs={"day": day.isoformat()}).get()
    second = start_quarterly_review_task.apply(kwargs={"day": day.isoformat()}).get()

    assert first == second
    review = AccessReview.objects.get()
    assert review.period == previous_quarter_label(day)
    assert review.started_by.username == SYSTEM_USERNAME
    quarter_end = day - timedelta(days=1)
    assert review.due_date == add_business_days(quarter_end, 20)
    assert review.items.count() == ReviewItem.objects.count()
    event = AuditEvent.objects.get(action="access_review.started")
    assert event.actor_label.startswith("celery:")


def test_beat_schedule_is_quarterly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["access-review-quarterly-start"]
    assert entry["task"] == "policyhub.access_reviews.tasks.start_quarterly_review_task"
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.month_of_year == {1, 4, 7, 10}
    assert schedule.day_of_month == {1}


def test_add_business_days_skips_weekends():
    friday = timezone.datetime(2026, 12, 4).date()
    assert add_business_days(friday, 1) == timezone.datetime(2026, 12, 7).date()
    assert add_business_days(friday, 5) == timezone.datetime(2026, 12, 11).date()


def manager_page_queries(client, manager):
    from django.core.cache import cache

    cache.clear()
    client.force_login(manager)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/access-reviews/")
    assert response.status_code == 200
    return len(captured)


def test_manager_page_queries_constant(org, client):
    manager = org["approver"]
    services.start_review("2025 Q1", timezone.localdate() + timedelta(days=5), actor=org["author"])
    few = manager_page_queries(client, manager)
    for number in range(4):
        person = make_user(f"report{number}", roles.EMPLOYEES, roles.POLICY_OWNERS)
        person.manager = manager
        person.save()
    services.start_review("2025 Q2", timezone.localdate() + timedelta(days=5), actor=org["author"])
    client.logout()
    many = manager_page_queries(client, manager)
    page = client.get("/access-reviews/").content.decode()

    assert "Report3" in page
    assert many == few
