# ruff: noqa: F811 - the Chromium fixtures come from test_browser by import.
"""Change management in headless Chromium: a change submitted, voted on and
approved through the portal, and axe-core checks of every change page.

Uses the Chromium set-up of ``test_browser`` (Debian's binary, no download).
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policyhub.changes import services
from policyhub.changes.models import BlackoutPeriod, ChangeRequest, State

from .test_browser import (  # noqa: F401 - fixtures
    ARTIFACTS,
    browser,
    describe_axe_violations,
    open_tab,
    sign_in_with_session_cookie,
    tab,
)
from .test_changes_support import in_days, new_change, to_cab_review

pytest_plugins = ["tests.test_changes_support"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def act_as(browser, live_server, user):
    context, page = open_tab(browser, live_server)
    sign_in_with_session_cookie(page, live_server, user)
    return context, page


def press(page, name):
    page.get_by_role("button", name=name).click()


def test_submit_vote_approve_in_browser(browser, live_server, board, systems):
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    detail = f"/changes/{change.pk}/"

    context, page = act_as(browser, live_server, board["requester"])
    page.goto(detail)
    press(page, "Submit for assessment")
    expect(page.get_by_role("status")).to_contain_text(f"{change.reference} is now Submitted.")
    context.close()

    context, page = act_as(browser, live_server, board["cab1"])
    page.goto(detail)
    press(page, "Start assessment")
    press(page, "Send to CAB review")
    expect(page.get_by_role("status")).to_contain_text("is now CAB review")
    page.get_by_label("Approve").check()
    page.get_by_label("Comment").fill("Rollback plan tested in staging.")
    press(page, "Record vote")
    expect(page.get_by_role("status")).to_contain_text("Your vote (Approve)")
    context.close()

    context, page = act_as(browser, live_server, board["cab2"])
    page.goto(detail)
    page.get_by_label("Approve").check()
    page.get_by_label("Comment").fill("Agreed.")
    press(page, "Record vote")
    expect(page.get_by_text("Approved", exact=True).first).to_be_visible()
    votes = page.get_by_role("table", name="Votes by round")
    expect(votes.get_by_role("row")).to_have_count(3)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "change-approved.png", full_page=True)
    context.close()

    change.refresh_from_db()
    assert change.state == State.APPROVED
    assert change.votes.count() == 2


def test_vote_works_without_javascript(browser, live_server, board, systems):
    change = to_cab_review(new_change(board["requester"], [systems["core"]]), board)
    context, page = open_tab(browser, live_server, java_script_enabled=False)
    try:
        sign_in_with_session_cookie(page, live_server, board["cab3"])
        page.goto(f"/changes/{change.pk}/")
        page.get_by_label("Reject").check()
        page.get_by_label("Comment").fill("No test evidence attached.")
        press(page, "Record vote")
        expect(page.get_by_role("status")).to_contain_text("Your vote (Reject)")
    finally:
        context.close()
    assert change.votes.get().decision == "reject"


# Each function brings the tab to one change page in one state.


def as_persona(tab, fixture, persona):
    sign_in_with_session_cookie(tab, fixture("live_server"), fixture("board")[persona])


def change_list_with_overdue(tab, fixture):
    board, systems = fixture("board"), fixture("systems")
    change = new_change(board["requester"], [systems["core"]], change_type="emergency")
    ChangeRequest.objects.filter(pk=change.pk).update(retrospective_due_on=in_days(-3).date())
    as_persona(tab, fixture, "cab1")
    tab.goto("/changes/")
    expect(tab.get_by_text("Retrospective reviews overdue")).to_be_visible()


def change_list_empty(tab, fixture):
    as_persona(tab, fixture, "requester")
    tab.goto("/changes/?state=closed")
    expect(tab.get_by_text("No change request matches these filters.")).to_be_visible()


def change_form_new(tab, fixture):
    fixture("systems")
    as_persona(tab, fixture, "requester")
    tab.goto("/changes/new/")


def change_form_with_errors(tab, fixture):
    fixture("systems")
    as_persona(tab, fixture, "requester")
    tab.goto("/changes/new/")
    tab.get_by_label("Title").fill("Incomplete")
    press(tab, "Save draft")
    expect(tab.get_by_text("Please correct the fields marked below.")).to_be_visible()


def change_detail_draft(tab, fixture):
    board, systems = fixture("board"), fixture("systems")
    change = new_change(board["requester"], [systems["core"]])
    as_persona(tab, fixture, "requester")
    tab.goto(f"/changes/{change.pk}/")
    expect(tab.get_by_role("button", name="Submit for assessment")).to_be_visible()


def change_detail_voting(tab, fixture):
    board, systems = fixture("board"), fixture("systems")
    first = new_change(board["requester"], [systems["core"]])
    services.transition(first, "submit", board["requester"])
    change = new_change(board["requester"], [systems["core"]], start=first.planned_start)
    change = to_cab_review(change, board)
    services.cast_vote(change, board["cab2"], "approve", "Fine.")
    as_persona(tab, fixture, "cab1")
    tab.goto(f"/changes/{change.pk}/")
    expect(tab.get_by_role("button", name="Record vote")).to_be_visible()
    expect(tab.get_by_role("heading", name="Calendar conflicts")).to_be_visible()


def change_detail_closing(tab, fixture):
    board, systems = fixture("board"), fixture("systems")
    change = new_change(board["requester"], [systems["core"]], implementer=board["implementer"])
    change = to_cab_review(change, board)
    services.cast_vote(change, board["cab1"], "approve", "Yes.")
    services.cast_vote(change, board["cab2"], "approve", "Yes.")
    change.refresh_from_db()
    for action, persona in [("schedule", "cab3"), ("start", "implementer"),
                            ("complete", "implementer"), ("begin_review", "requester")]:
        change = services.transition(change, action, board[persona])
    as_persona(tab, fixture, "cab3")
    tab.goto(f"/changes/{change.pk}/")
    expect(tab.get_by_role("button", name="Close change")).to_be_visible()


def cab_meeting(tab, fixture):
    board, systems = fixture("board"), fixture("systems")
    to_cab_review(new_change(board["requester"], [systems["core"]]), board)
    as_persona(tab, fixture, "cab1")
    tab.goto("/changes/meeting/")


def calendar_month(tab, fixture):
    board, systems = fixture("board"), fixture("systems")
    change = new_change(board["requester"], [systems["core"]], start=in_days(1))
    services.transition(change, "submit", board["requester"])
    start = timezone.now()
    BlackoutPeriod.objects.create(name="Freeze", starts_at=start,
                                  ends_at=start + datetime.timedelta(days=2))
    as_persona(tab, fixture, "cab1")
    tab.goto(f"/changes/calendar/?year={change.planned_start.year}"
             f"&month={change.planned_start.month}")


def calendar_list(tab, fixture):
    board, systems = fixture("board"), fixture("systems")
    new_change(board["requester"], [systems["core"]], start=in_days(1))
    as_persona(tab, fixture, "requester")
    tab.goto("/changes/calendar/list/")


def change_not_found(tab, fixture):
    board, systems = fixture("board"), fixture("systems")
    change = new_change(board["requester"], [systems["core"]])
    as_persona(tab, fixture, "outsider")
    response = tab.goto(f"/changes/{change.pk}/")
    assert response.status == 404


CHANGE_PAGES = [
    change_list_with_overdue,
    change_list_empty,
    change_form_new,
    change_form_with_errors,
    change_detail_draft,
    change_detail_voting,
    change_detail_closing,
    cab_meeting,
    calendar_month,
    calendar_list,
    change_not_found,
]


@pytest.mark.parametrize("open_page", CHANGE_PAGES, ids=lambda function: function.__name__)
def test_change_page_has_no_axe_violations(tab, request, open_page):
    open_page(tab, request.getfixturevalue)
    violations = describe_axe_violations(tab)
    report = "\n".join(violations)
    assert not violations, f"axe-core violations on {tab.url}:\n{report}"
