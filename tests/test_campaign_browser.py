"""Campaign pages in headless Chromium: axe-core checks of every page and a
launch through the form without JavaScript.

Uses the browser, tab and sign-in helpers of ``test_browser``; Chromium comes
from Debian and is never downloaded.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policyhub.attestations.campaigns import create_campaign
from policyhub.attestations.models import Assignment, Campaign, CampaignJob

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
def campaign(personas, published_policy):
    """An open campaign with everyone overdue and one line manager."""
    _, version = published_policy
    personas["employee"].manager = personas["approver"]
    personas["employee"].department = "Treasury"
    personas["employee"].save()
    job = create_campaign(
        personas["author"], name="Annual attestation", versions=[version],
        due_date=timezone.localdate(), grace_days=1,
    )
    past = timezone.localdate() - timedelta(days=3)
    Assignment.objects.filter(campaign=job.campaign).update(due_date=past, grace_until=past)
    return Campaign.objects.get(pk=job.campaign_id)


def campaign_pages(campaign):
    """(persona, path) of every campaign page, as its usual visitor sees it."""
    assignment = campaign.assignments.order_by("pk").first()
    launch_job = campaign.jobs.get(kind=CampaignJob.Kind.LAUNCH)
    return [
        ("author", "/campaigns/"),
        ("author", f"/campaigns/{campaign.pk}/"),
        ("author", f"/campaigns/{campaign.pk}/people/"),
        ("author", f"/campaigns/{campaign.pk}/people/?status=overdue&department=Treasury"),
        ("author", "/campaigns/new/"),
        ("author", f"/campaigns/assignments/{assignment.pk}/extend/"),
        ("author", f"/campaigns/jobs/{launch_job.pk}/"),
        ("approver", "/campaigns/"),
        ("approver", f"/campaigns/{campaign.pk}/people/"),
    ]


def test_campaign_pages_pass_axe(browser, live_server, personas, campaign):  # noqa: F811
    failures = []
    for persona, path in campaign_pages(campaign):
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


def test_form_errors_pass_axe(tab, live_server, personas, campaign):  # noqa: F811
    sign_in_with_session_cookie(tab, live_server, personas["author"])
    tab.goto("/campaigns/new/")
    tab.get_by_role("button", name="Launch campaign").click()
    expect(tab.get_by_text("Choose at least one policy version.")).to_be_visible()
    violations = describe_axe_violations(tab)
    assert not violations, "\n".join(violations)


def test_launch_without_javascript(browser, live_server, personas, published_policy):  # noqa: F811
    _, version = published_policy
    context, tab = open_tab(browser, live_server, java_script_enabled=False)  # noqa: F811
    try:
        sign_in_with_session_cookie(tab, live_server, personas["author"])
        tab.goto("/campaigns/new/")
        tab.get_by_label("Name").fill("Branch refresher")
        tab.get_by_label(f"{version.title} {version.label}").check()
        tab.get_by_label("All active employees").check()
        tab.get_by_label("Due date").fill(
            (timezone.localdate() + timedelta(days=14)).isoformat()
        )
        tab.get_by_role("button", name="Launch campaign").click()
        expect(tab.get_by_role("heading", level=1)).to_contain_text("Launch of Branch refresher")
        expect(tab.get_by_role("status")).to_contain_text("Done")
    finally:
        context.close()
    campaign = Campaign.objects.get(name="Branch refresher")
    assert campaign.status == Campaign.Status.OPEN
    assert campaign.assignments.count() == 6
