"""axe-core checks of the subject-access export page in headless Chromium,
with the browser fixtures of the portal's browser tests."""

import pytest
from playwright.sync_api import expect

from . import test_browser as portal_browser
from .test_browser import describe_axe_violations, sign_in_with_session_cookie

browser = portal_browser.browser
tab = portal_browser.tab

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def export_form(tab, fixture):
    personas = fixture("personas")
    sign_in_with_session_cookie(tab, fixture("live_server"), personas["author"])
    tab.goto("/privacy/subject-access/")
    expect(tab.get_by_role("heading", level=1, name="Subject access export")).to_be_visible()


def export_form_with_error(tab, fixture):
    export_form(tab, fixture)
    tab.get_by_label("Email address or user id").fill("nobody@example.test")
    tab.get_by_role("button", name="Download export").click()
    expect(tab.get_by_text("No account has the email address or user id")).to_be_visible()


@pytest.mark.parametrize(
    "open_page", [export_form, export_form_with_error], ids=lambda function: function.__name__
)
def test_subject_access_page_has_no_axe_violations(tab, request, open_page):
    open_page(tab, request.getfixturevalue)
    violations = describe_axe_violations(tab)
    report = "\n".join(violations)
    assert not violations, f"axe-core violations on {tab.url}:\n{report}"


def test_export_downloads_json(tab, request):
    export_form(tab, request.getfixturevalue)
    tab.get_by_label("Email address or user id").fill("employee@example.test")
    with tab.expect_download() as download_info:
        tab.get_by_role("button", name="Download export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("subject-access-user-")
    assert download.suggested_filename.endswith(".json")
