"""Access review pages in headless Chromium: axe-core checks of every page,
a decision error shown in place, and a revocation through the form.

Uses the browser, tab and sign-in helpers of ``test_browser``; Chromium comes
from Debian and is never downloaded.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policyhub.access_reviews import services
from policyhub.access_reviews.models import ReviewItem
from policyhub.accounts import roles

from .test_browser import (  # noqa: F401
    browser,
    describe_axe_violations,
    open_tab,
    publish_without_signed_pdf,
    sign_in_with_session_cookie,
    tab,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def review(personas):
    """An open review in which approver reviews employee and owner."""
    for name in ("employee", "owner"):
        personas[name].manager = personas["approver"]
        personas[name].department = "Treasury"
        personas[name].save()
    started, _ = services.start_review(
        "2026 Q4", timezone.localdate() + timedelta(days=10), actor=personas["author"]
    )
    kept_item = ReviewItem.objects.get(
        review=started, subject=personas["owner"], group__name=roles.EMPLOYEES
    )
    services.decide(kept_item, personas["approver"], "keep")
    return started


def review_pages(review):
    """(persona, path) of every access review page, as its usual visitor opens it."""
    return [
        ("approver", "/access-reviews/"),
        ("author", "/access-reviews/"),
        ("author", "/access-reviews/reviews/"),
        ("author", f"/access-reviews/reviews/{review.pk}/"),
        ("employee", "/access-reviews/"),
    ]


def test_access_review_pages_pass_axe(browser, live_server, personas, review):  # noqa: F811
    failures = []
    for persona, path in review_pages(review):
        context, page = open_tab(browser, live_server)
        try:
            sign_in_with_session_cookie(page, live_server, personas[persona])
            response = page.goto(path)
            assert response.status == 200, f"{path} as {persona}: {response.status}"
            violations = describe_axe_violations(page)
            if violations:
                failures.append(f"{path} as {persona}:\n" + "\n".join(violations))
        finally:
            context.close()
    assert not failures, "axe-core violations:\n" + "\n\n".join(failures)


def test_revoke_without_reason_shows_error(tab, live_server, personas, review):  # noqa: F811
    item = ReviewItem.objects.get(
        review=review, subject=personas["employee"], group__name=roles.EMPLOYEES
    )
    sign_in_with_session_cookie(tab, live_server, personas["approver"])
    tab.goto("/access-reviews/")
    form = tab.locator(f"#item-{item.pk} form")
    form.get_by_label("Revoke", exact=True).check()
    form.get_by_role("button", name="Save decision").click()

    expect(tab.get_by_role("alert")).to_contain_text("Give the reason for revoking")
    violations = describe_axe_violations(tab)
    assert not violations, "\n".join(violations)
    assert roles.EMPLOYEES in personas["employee"].groups.values_list("name", flat=True)

    form = tab.locator(f"#item-{item.pk} form")
    form.get_by_label("Revoke", exact=True).check()
    form.get_by_label("Reason (required to revoke)").fill("Left the treasury team.")
    form.get_by_role("button", name="Save decision").click()
    expect(tab.get_by_text("Member of Employees of Employee Persona is revoked.")).to_be_visible()
    assert roles.EMPLOYEES not in personas["employee"].groups.values_list("name", flat=True)


def test_start_form_error_passes_axe(tab, live_server, personas, review):  # noqa: F811
    sign_in_with_session_cookie(tab, live_server, personas["author"])
    tab.goto("/access-reviews/reviews/")
    tab.get_by_label("Period").fill("2026 Q9")
    tab.get_by_role("button", name="Start review").click()
    expect(tab.get_by_role("alert")).to_contain_text('write the year and quarter as "2026 Q4"')
    violations = describe_axe_violations(tab)
    assert not violations, "\n".join(violations)
