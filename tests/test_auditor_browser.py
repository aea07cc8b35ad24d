"""The evidence pack form and the as-of training section in headless Chromium, with axe-core."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policyhub.training.tasks import issue_certificate_task

from . import test_browser as portal_browser
from .test_browser import describe_axe_violations, sign_in_with_session_cookie
from .test_training_support import take_quiz, write_module

# The portal browser tests' fixtures: one Chromium per module, a fresh tab per
# test, and publication without rendering the signed PDF.
browser = portal_browser.browser
tab = portal_browser.tab
publish_without_signed_pdf = portal_browser.publish_without_signed_pdf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_evidence_form_lists_modules(tab, live_server, personas, tmp_path):
    write_module(tmp_path, slug="browser-module")
    sign_in_with_session_cookie(tab, live_server, personas["auditor"])
    tab.goto("/exports/evidence/")

    expect(tab.get_by_role("group", name="Training modules")).to_be_visible()
    expect(tab.get_by_role("checkbox", name="Module browser-module")).to_be_visible()
    assert describe_axe_violations(tab) == []


def test_as_of_training_section(tab, live_server, personas, tmp_path, monkeypatch):
    # Signing a certificate runs its own event loop, which cannot start inside
    # Playwright's, and the as-of view reads only the completion.
    monkeypatch.setattr(issue_certificate_task, "delay", lambda completion_id: None)
    module = write_module(tmp_path, slug="browser-asof")
    take_quiz(personas["employee"], module)
    sign_in_with_session_cookie(tab, live_server, personas["auditor"])
    today = timezone.localdate().isoformat()
    tab.goto(f"/auditor/as-of/?date={today}")

    expect(tab.get_by_role("heading", name="Training current at the end of")).to_be_visible()
    tab.get_by_role("link", name="Module browser-asof").click()
    expect(tab.get_by_role("cell", name="Current").first).to_be_visible()
    assert describe_axe_violations(tab) == []
