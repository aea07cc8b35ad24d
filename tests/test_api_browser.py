"""The API keys page and the API docs page in headless Chromium, with axe-core."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policyhub.api.models import ApiKey

from . import test_browser as portal_browser
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


def test_admin_creates_and_revokes_key(tab, live_server, personas):
    sign_in_with_session_cookie(tab, live_server, personas["author"])
    tab.goto("/")
    tab.get_by_role("link", name="API keys").click()
    expect(tab.get_by_role("heading", level=1, name="API keys")).to_be_visible()
    assert describe_axe_violations(tab) == []

    tab.get_by_label("Name").fill("HR system")
    tab.get_by_label("User", exact=True).select_option("employee")
    tab.get_by_role("checkbox", name="read:status").check()
    expiry = (timezone.now() + datetime.timedelta(days=30)).date().isoformat()
    tab.get_by_label("Expires on").fill(expiry)
    tab.get_by_role("button", name="Create key").click()

    key = ApiKey.objects.get()
    token = tab.locator("#issued-token").input_value()
    assert token.startswith(f"{key.prefix}.")
    assert describe_axe_violations(tab) == []
    storage = tab.evaluate("() => JSON.stringify([localStorage, sessionStorage])")
    assert token not in storage

    tab.get_by_role("button", name=f"Revoke key {key.prefix}").click()
    expect(tab.get_by_role("cell", name="revoked")).to_be_visible()
    assert token.split(".")[1] not in tab.content()


def test_docs_page_loads_offline(tab, live_server, personas):
    outside = []
    tab.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server.url)
            else (outside.append(route.request.url), route.abort())
        ),
    )
    sign_in_with_session_cookie(tab, live_server, personas["employee"])
    errors = []
    tab.on("requestfailed", lambda request: errors.append(request.url))
    tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
    tab.goto("/api/docs/")
    expect(tab.get_by_text("PolicyHub API").first).to_be_visible()
    expect(tab.get_by_text("/api/v1/policies/").first).to_be_visible()
    assert outside == []
    assert errors == []
