# ruff: noqa: F811 - pytest fixtures imported from procedure_fixtures are redefined as arguments
"""Performing a procedure run in headless Chromium, and axe-core checks of
every procedure page.

Uses the Chromium fixtures of tests/test_browser.py: Debian's /usr/bin/chromium
or ``CHROMIUM_PATH``, never a downloaded browser.
"""

import pytest
from playwright.sync_api import expect

from policyhub.procedures import services
from policyhub.procedures.models import ProcedureRun

from .procedure_fixtures import PNG, performers, procedure  # noqa: F401 - fixtures
from .test_browser import (  # noqa: F401
    browser,
    describe_axe_violations,
    open_tab,
    publish_without_signed_pdf,
    sign_in_with_session_cookie,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_accessible(tab, name):
    violations = describe_axe_violations(tab)
    assert violations == [], f"{name}: " + "\n".join(violations)


def give_evidence(tab, number, tmp_path):
    form = tab.locator(f'form[action$="/steps/{number}/"]')
    if form.get_by_label("File").count():
        path = tmp_path / f"step-{number}.png"
        path.write_bytes(PNG)
        form.get_by_label("File").set_input_files(str(path))
    elif form.get_by_label("Note").count():
        form.get_by_label("Note").fill(f"Step {number} checked against the register.")
    elif form.get_by_label("Link").count():
        form.get_by_label("Link").fill(f"https://tickets.example.test/ACC-{number}")
    else:
        form.get_by_label(f"I confirm step {number} was carried out").check()
    form.get_by_role("button", name=f"Mark step {number} done").click()
    expect(tab.get_by_role("status")).to_contain_text(f"Step {number} recorded.")


def test_performer_completes_run_in_browser(
    browser,
    live_server,
    performers,  # noqa: F811
    procedure,
    tmp_path,
):  # noqa: F811
    run, _ = services.create_scheduled_run(procedure)
    context, tab = open_tab(browser, live_server)
    try:
        sign_in_with_session_cookie(tab, live_server, performers["performer"])
        tab.goto("/")
        tab.get_by_role("navigation", name="Main").get_by_role("link", name="Procedures").click()
        expect(tab.get_by_role("heading", level=1, name="Procedures")).to_be_visible()
        assert_accessible(tab, "procedures list")
        tab.get_by_role("link", name="Quarterly User Access Review").first.click()
        expect(tab.get_by_role("heading", level=1)).to_have_text("Quarterly User Access Review")
        assert_accessible(tab, "run detail")
        for number in range(1, 7):
            give_evidence(tab, number, tmp_path)
        assert_accessible(tab, "run detail with evidence")
        tab.get_by_role("button", name="Complete the run").click()
        expect(tab.get_by_role("status")).to_contain_text("Run completed.")
        tab.goto(f"/procedures/{procedure.pk}/start/")
        assert_accessible(tab, "start run")
        tab.goto(procedure.get_parent().url)
        expect(tab.get_by_role("heading", name="Procedures")).to_be_visible()
        assert_accessible(tab, "policy with procedures")
        tab.goto(procedure.url)
        assert_accessible(tab, "procedure document")
    finally:
        context.close()
    run.refresh_from_db()
    assert run.status == ProcedureRun.Status.AWAITING_SIGN_OFF

    context, tab = open_tab(browser, live_server)
    try:
        sign_in_with_session_cookie(tab, live_server, performers["owner2"])
        tab.goto(f"/procedures/runs/{run.pk}/")
        assert_accessible(tab, "sign-off")
        tab.get_by_label("Comment").fill("Sampled three removals.")
        tab.get_by_role("button", name="Sign off this run").click()
        expect(tab.get_by_role("status")).to_contain_text("Run signed off.")
    finally:
        context.close()
    run.refresh_from_db()
    assert run.status == ProcedureRun.Status.COMPLETED

    context, tab = open_tab(browser, live_server)
    try:
        sign_in_with_session_cookie(tab, live_server, performers["author"])
        tab.goto("/procedures/dashboard/")
        expect(tab.get_by_role("heading", level=1)).to_contain_text("overdue and missed")
        assert_accessible(tab, "procedures dashboard")
    finally:
        context.close()
