"""The portal in headless Chromium: an employee's acknowledgement, the same
path without JavaScript, and axe-core checks of every portal page.

Chromium comes from Debian at /usr/bin/chromium, or from ``CHROMIUM_PATH``,
and these tests never download a browser. The live server runs in a thread of
the test process, so every test uses a transactional database, and
``serialized_rollback`` restores the groups, policy library and approval
workflow that the migrations create and each flush removes.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.db import connections
from django.template.loader import get_template
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from policyhub.attestations.models import Acknowledgement
from policyhub.exports.services import signed_pdf_for
from policyhub.exports.tasks import render_signed_pdf

from .conftest import PASSWORD, REPO, edit_and_approve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"
AXE = Axe()
CONFIRM_LABEL = "I have read and understood this policy."


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """One headless Chromium for the whole module. Each test opens its own context.

    Playwright's sync API keeps an asyncio loop running in the test thread.
    Django then rejects ORM calls there as coming from async code, so
    DJANGO_ALLOW_ASYNC_UNSAFE turns that check off while the browser is open.
    The running loop also makes asgiref, and so ``django.db.connections``,
    switch to per-context storage that contains new connection objects. The
    fixture puts the test database's own connections back, because only they
    carry the serialized data that ``serialized_rollback`` reloads.
    """
    test_connections = list(connections.all())
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for conn in test_connections:
            connections[conn.alias] = conn
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


def open_tab(browser, live_server, **context_options):
    context = browser.new_context(base_url=live_server.url, **context_options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def tab(browser, live_server):
    """A page in a fresh browser context, so no cookie or session leaks between tests."""
    context, page = open_tab(browser, live_server)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def publish_without_signed_pdf(monkeypatch):
    """Stop publication from rendering the signed PDF.

    In the suite's non-transactional tests nothing commits, so the PDF task
    never runs. These tests commit, and rendering and signing a PDF for every
    publication would roughly double the time of each test that publishes.
    Tests that need the PDF call ``signed_pdf_in_worker_thread``, which
    renders it on first use.
    """
    monkeypatch.setattr(render_signed_pdf, "delay", lambda version_id: None)


def signed_pdf_in_worker_thread(version):
    """Return the bytes of ``version``'s signed PDF, rendering it if needed.

    pyHanko signs through asyncio.run(), which raises RuntimeError in the test
    thread because Playwright keeps a loop running there, so the signing runs
    in a worker thread. Like Django's live server thread, the worker uses the
    test thread's in-memory SQLite connection, so it reads the same data.
    """
    shared = [
        conn
        for conn in connections.all()
        if conn.vendor == "sqlite" and conn.is_in_memory_db()
    ]

    def read_signed_pdf():
        for conn in shared:
            connections[conn.alias] = conn
        try:
            return signed_pdf_for(version).file.read()
        finally:
            connections.close_all()

    for conn in shared:
        conn.inc_thread_sharing()
    try:
        with ThreadPoolExecutor(max_workers=1) as executor:
            return executor.submit(read_signed_pdf).result()
    finally:
        for conn in shared:
            conn.dec_thread_sharing()


def sign_in(tab, persona="employee"):
    """Sign in through the allauth form and wait for "My policies"."""
    tab.goto("/accounts/login/")
    tab.get_by_label("Email").fill(f"{persona}@example.test")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign In").click()
    expect(tab.get_by_role("heading", level=1, name="My policies")).to_be_visible()


def sign_in_with_session_cookie(tab, live_server, user):
    """Give the tab a signed-in session without the form, which other tests cover."""
    client = Client()
    client.force_login(user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    tab.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_cookie,
                "url": live_server.url,
            }
        ]
    )


def acknowledge_in_tab(tab, version_label="1.0"):
    tab.get_by_label(CONFIRM_LABEL).check()
    tab.get_by_role("button", name=f"Acknowledge version {version_label}").click()


def describe_axe_violations(tab):
    """Run axe-core's default rules on the page and return one line per failing element."""
    results = AXE.run(tab)
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(
                f"{violation['id']} ({violation['impact']}) at {target}: "
                f"{violation['help']}. {summary}"
            )
    return lines


def test_employee_acknowledges_policy_in_browser(tab, personas, published_policy):
    _page, version = published_policy
    sign_in(tab)
    row = tab.get_by_role("row", name=version.title)
    expect(row.get_by_text("Action required")).to_be_visible()

    row.get_by_role("link", name=version.title).click()
    expect(tab.get_by_role("heading", level=1, name=version.title)).to_be_visible()
    acknowledge_in_tab(tab)
    expect(tab.get_by_role("status")).to_contain_text(
        f"You acknowledged {version.title} version 1.0."
    )

    main_navigation = tab.get_by_role("navigation", name="Main")
    main_navigation.get_by_role("link", name="My policies").click()
    row = tab.get_by_role("row", name=version.title)
    expect(row.get_by_text("Acknowledged 1.0")).to_be_visible()
    expect(row.get_by_text("Action required")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=ARTIFACTS / "employee-acknowledged.png", full_page=True)

    acknowledgement = Acknowledgement.objects.get(
        user=personas["employee"], version=version
    )
    assert acknowledgement.content_sha256 == version.content_sha256


def test_acknowledges_policy_without_javascript(
    browser, live_server, personas, published_policy
):
    _page, version = published_policy
    context, tab = open_tab(browser, live_server, java_script_enabled=False)
    try:
        sign_in(tab)
        tab.get_by_role("link", name=version.title).click()
        acknowledge_in_tab(tab)
        expect(tab.get_by_role("status")).to_contain_text(
            f"You acknowledged {version.title} version 1.0."
        )
        expect(tab.get_by_text("You acknowledged version 1.0 on")).to_be_visible()
    finally:
        context.close()
    assert Acknowledgement.objects.filter(
        user=personas["employee"], version=version
    ).exists()


def test_pages_reflow_on_narrow_screen(
    browser, live_server, personas, published_policy
):
    """At 320 CSS pixels wide (WCAG 1.4.10) only tables scroll sideways, not the page."""
    page, _version = published_policy
    context, tab = open_tab(
        browser, live_server, viewport={"width": 320, "height": 640}
    )
    try:
        sign_in_with_session_cookie(tab, live_server, personas["auditor"])
        for path in ("/policies/", page.url, "/exports/verify/"):
            tab.goto(path)
            page_width = tab.evaluate("document.documentElement.scrollWidth")
            assert page_width <= 320, (
                f"{path} is {page_width} pixels wide at a 320-pixel viewport"
            )
    finally:
        context.close()


# Each function below brings a tab to one portal page in one state, and the
# parametrised test then runs axe-core on it. A function requests only the
# fixtures its page needs, so pages without a policy publish none.


def login_page(tab, fixture):
    tab.goto("/accounts/login/")


def login_page_with_error(tab, fixture):
    fixture("personas")
    tab.goto("/accounts/login/")
    tab.get_by_label("Email").fill("employee@example.test")
    tab.get_by_label("Password").fill("not-the-password")
    tab.get_by_role("button", name="Sign In").click()
    expect(tab.get_by_text("The email address and/or password")).to_be_visible()


def password_reset_page(tab, fixture):
    tab.goto("/accounts/password/reset/")


def signup_closed_page(tab, fixture):
    tab.goto("/accounts/signup/")


def sign_in_as(tab, fixture, persona="employee"):
    sign_in_with_session_cookie(
        tab, fixture("live_server"), fixture("personas")[persona]
    )


def my_policies_empty(tab, fixture):
    sign_in_as(tab, fixture)
    tab.goto("/policies/")
    expect(tab.get_by_text("No policy has been published yet.")).to_be_visible()


def my_policies_action_required(tab, fixture):
    fixture("published_policy")
    sign_in_as(tab, fixture)
    tab.goto("/policies/")
    expect(tab.get_by_text("Action required")).to_be_visible()


def my_policies_acknowledged(tab, fixture):
    page, _version = fixture("published_policy")
    sign_in_as(tab, fixture)
    tab.goto(page.url)
    acknowledge_in_tab(tab)
    tab.goto("/policies/")
    expect(tab.get_by_text("Acknowledged 1.0")).to_be_visible()


def policy_detail(tab, fixture):
    page, _version = fixture("published_policy")
    sign_in_as(tab, fixture)
    tab.goto(page.url)
    expect(tab.get_by_label(CONFIRM_LABEL)).to_be_visible()


def policy_detail_acknowledged(tab, fixture):
    page, _version = fixture("published_policy")
    sign_in_as(tab, fixture)
    tab.goto(page.url)
    acknowledge_in_tab(tab)
    expect(tab.get_by_text("You acknowledged version 1.0 on")).to_be_visible()


def policy_detail_for_auditor(tab, fixture):
    page, _version = fixture("published_policy")
    sign_in_as(tab, fixture, "auditor")
    tab.goto(page.url)
    expect(tab.get_by_role("link", name="Download signed PDF of 1.0")).to_be_visible()


def policy_detail_old_version(tab, fixture):
    page, _version = fixture("published_policy")
    edit_and_approve(
        page, fixture("personas"), "minor", "Clarified wording.", "Clarified."
    )
    sign_in_as(tab, fixture)
    tab.goto(f"{page.url}?version=1.0")
    expect(tab.get_by_text("superseded by")).to_be_visible()


def stale_version_page(tab, fixture):
    page, _version = fixture("published_policy")
    sign_in_as(tab, fixture)
    tab.goto(page.url)
    # Version 2.0 is published while the employee is still reading 1.0.
    edit_and_approve(page, fixture("personas"), "major", "Stricter rules.", "New rule.")
    acknowledge_in_tab(tab)
    expect(
        tab.get_by_role("heading", name="Version 1.0 is no longer current")
    ).to_be_visible()


def verify_page(tab, fixture):
    sign_in_as(tab, fixture)
    tab.goto("/exports/verify/")


def upload_for_verification(tab, name, content):
    """Send ``content`` through the verify form and return the response to the upload."""
    tab.get_by_label("Signed PDF").set_input_files(
        files=[{"name": name, "mimeType": "application/pdf", "buffer": content}]
    )
    with tab.expect_navigation() as navigation:
        tab.get_by_role("button", name="Verify").click()
    return navigation.value


def verify_page_valid_result(tab, fixture):
    _page, version = fixture("published_policy")
    content = signed_pdf_in_worker_thread(version)
    verify_page(tab, fixture)
    response = upload_for_verification(tab, "policy.pdf", content)
    assert response.status == 200
    expect(tab.get_by_role("heading", name="Valid signature")).to_be_visible()


def verify_page_invalid_result(tab, fixture):
    _page, version = fixture("published_policy")
    content = bytearray(signed_pdf_in_worker_thread(version))
    # The signature covers every byte but its own value, so changing a byte
    # of the first object must invalidate it.
    content[20] ^= 0x01
    verify_page(tab, fixture)
    response = upload_for_verification(tab, "changed.pdf", bytes(content))
    assert response.status == 200
    expect(tab.get_by_role("heading", name="Invalid signature")).to_be_visible()
    expect(tab.get_by_text("The content was changed after signing.")).to_be_visible()


def verify_page_rejected_upload(tab, fixture):
    verify_page(tab, fixture)
    response = upload_for_verification(tab, "notes.pdf", b"plain text, not a PDF")
    assert response.status == 400
    expect(tab.get_by_text("notes.pdf is not a PDF file")).to_be_visible()


def forbidden_page(tab, fixture):
    _page, version = fixture("published_policy")
    sign_in_as(tab, fixture)
    response = tab.goto(f"/exports/versions/{version.pk}/signed.pdf")
    assert response.status == 403


def not_found_page(tab, fixture):
    sign_in_as(tab, fixture)
    response = tab.goto("/policies/no-such-policy/")
    assert response.status == 404


def sign_out_page(tab, fixture):
    sign_in_as(tab, fixture)
    tab.goto("/accounts/logout/")
    expect(tab.get_by_role("button", name="Sign Out", exact=True)).to_be_visible()


def form_expired_page(tab, fixture):
    verify_page(tab, fixture)
    # Without the CSRF cookie the form's token cannot be checked, as after the
    # browser clears its cookies.
    tab.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
    response = upload_for_verification(tab, "policy.pdf", b"%PDF-1.7")
    assert response.status == 403
    expect(
        tab.get_by_role("heading", name="Your form could not be sent")
    ).to_be_visible()


def bad_request_page(tab, fixture):
    # Django renders 400.html and 500.html without a request, and so do these tests.
    tab.set_content(get_template("400.html").render())


def server_error_page(tab, fixture):
    tab.set_content(get_template("500.html").render())


PORTAL_PAGES = [
    login_page,
    login_page_with_error,
    password_reset_page,
    signup_closed_page,
    my_policies_empty,
    my_policies_action_required,
    my_policies_acknowledged,
    policy_detail,
    policy_detail_acknowledged,
    policy_detail_for_auditor,
    policy_detail_old_version,
    stale_version_page,
    verify_page,
    verify_page_valid_result,
    verify_page_invalid_result,
    verify_page_rejected_upload,
    forbidden_page,
    not_found_page,
    form_expired_page,
    bad_request_page,
    server_error_page,
    sign_out_page,
]


@pytest.mark.parametrize(
    "open_page", PORTAL_PAGES, ids=lambda function: function.__name__
)
def test_page_has_no_axe_violations(tab, request, open_page):
    open_page(tab, request.getfixturevalue)
    violations = describe_axe_violations(tab)
    report = "\n".join(violations)
    assert not violations, f"axe-core violations on {tab.url}:\n{report}"
