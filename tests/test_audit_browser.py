"""axe-core checks of the audit viewer and log review pages in headless
Chromium, with the browser fixtures of the portal's browser tests."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from policyhub.audit.models import LogReview
from policyhub.audit.reviews import sign_off
from policyhub.audit.services import record_event

from . import test_browser as portal_browser
from .conftest import make_user
from .test_browser import describe_axe_violations, sign_in_with_session_cookie

# The portal browser tests' fixtures: one Chromium per module, a fresh tab per
# test, and publication without rendering the signed PDF.
browser = portal_browser.browser
tab = portal_browser.tab
publish_without_signed_pdf = portal_browser.publish_without_signed_pdf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def security_member():
    user = make_user("secreviewer")
    user.groups.add(Group.objects.get(name="Security Team"))
    return user


def open_review():
    now = timezone.now()
    record_event(
        "access.denied",
        outcome="denied",
        system_actor="test",
        detail={"path": "/audit/", "status": 403},
    )
    return LogReview.objects.create(
        kind=LogReview.Kind.SECURITY_EVENTS,
        period_start=now - timedelta(days=1),
        period_end=now + timedelta(days=1),
        due_at=now - timedelta(hours=1),
        created_by_label="test",
    )


def viewer_with_events(tab, fixture):
    personas = fixture("personas")
    for n in range(3):
        record_event("test.browser", detail={"n": n}, system_actor="test")
    sign_in_with_session_cookie(tab, fixture("live_server"), personas["auditor"])
    tab.goto("/audit/")
    expect(tab.get_by_role("heading", level=1, name="Audit trail")).to_be_visible()
    expect(tab.get_by_role("table")).to_be_visible()


def viewer_with_filter_error(tab, fixture):
    personas = fixture("personas")
    sign_in_with_session_cookie(tab, fixture("live_server"), personas["author"])
    tab.goto("/audit/")
    tab.get_by_label("Actor").fill("nobody@example.test")
    tab.get_by_role("button", name="Show events").click()
    expect(tab.get_by_text("No user 'nobody@example.test' exists")).to_be_visible()


def review_list_page(tab, fixture):
    fixture("personas")
    open_review()
    sign_in_with_session_cookie(tab, fixture("live_server"), security_member())
    tab.goto("/audit/reviews/")
    expect(tab.get_by_text("Overdue")).to_be_visible()


def review_sign_off_page(tab, fixture):
    fixture("personas")
    review = open_review()
    sign_in_with_session_cookie(tab, fixture("live_server"), security_member())
    tab.goto(f"/audit/reviews/{review.pk}/")
    # Blank findings pass the browser's "required" check but not the server's.
    tab.get_by_label("Findings").fill("   ")
    tab.get_by_role("button", name="Sign off review").click()
    expect(tab.get_by_text("This field is required.")).to_be_visible()


def review_signed_off_page(tab, fixture):
    fixture("personas")
    review = open_review()
    reviewer = security_member()
    sign_off(review.pk, reviewer, "No findings.", "Check the denied request.")
    sign_in_with_session_cookie(tab, fixture("live_server"), reviewer)
    tab.goto(f"/audit/reviews/{review.pk}/")
    expect(tab.get_by_role("link", name="Download signed PDF")).to_be_visible()


AUDIT_PAGES = [
    viewer_with_events,
    viewer_with_filter_error,
    review_list_page,
    review_sign_off_page,
    review_signed_off_page,
]


@pytest.mark.parametrize("open_page", AUDIT_PAGES, ids=lambda function: function.__name__)
def test_audit_page_has_no_axe_violations(tab, request, open_page):
    open_page(tab, request.getfixturevalue)
    violations = describe_axe_violations(tab)
    report = "\n".join(violations)
    assert not violations, f"axe-core violations on {tab.url}:\n{report}"


def test_sign_off_without_javascript(browser, live_server):
    make_user("employee")
    review = open_review()
    reviewer = security_member()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_with_session_cookie(page, live_server, reviewer)
        page.goto(f"/audit/reviews/{review.pk}/")
        page.get_by_label("Findings").fill("No findings.")
        page.get_by_role("button", name="Sign off review").click()
        expect(page.get_by_role("status")).to_contain_text("You signed off")
    finally:
        context.close()
    review.refresh_from_db()
    assert review.status == "signed_off"
