"""Training in headless Chromium: taking and passing a quiz with JavaScript
off, and axe-core checks of every training page.

Uses the Chromium fixtures of tests/test_browser.py: Debian's /usr/bin/chromium
or ``CHROMIUM_PATH``, never a downloaded browser.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from policyhub.training.models import QuizAttempt, TrainingAssignment, TrainingCompletion
from policyhub.training.services import quiz

from .test_browser import (  # noqa: F401
    ARTIFACTS,
    browser,
    describe_axe_violations,
    open_tab,
    sign_in_with_session_cookie,
)
from .test_training_support import answers_for, take_quiz, write_module

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_accessible(tab, name):
    violations = describe_axe_violations(tab)
    assert violations == [], f"{name}: " + "\n".join(violations)


def test_employee_passes_quiz_without_javascript(browser, live_server, personas,  # noqa: F811
                                                 tmp_path):
    module = write_module(tmp_path, slug="browser-quiz")
    employee = personas["employee"]
    context, tab = open_tab(browser, live_server, java_script_enabled=False)
    try:
        sign_in_with_session_cookie(tab, live_server, employee)
        tab.goto("/")
        tab.get_by_role("navigation", name="Main").get_by_role("link", name="My training").click()
        expect(tab.get_by_role("heading", level=1, name="My training")).to_be_visible()
        tab.get_by_role("link", name=module.title).click()
        expect(tab.get_by_role("heading", level=1, name=module.title)).to_be_visible()
        tab.get_by_role("button", name="I have finished lesson 1").click()
        tab.get_by_role("button", name="I have finished lesson 2").click()
        tab.get_by_role("button", name="Start the quiz (2 attempts left)").click()
        expect(tab.get_by_role("heading", level=1)).to_contain_text("quiz attempt 1")
        attempt = QuizAttempt.objects.get(assignment__user=employee)
        for choices in answers_for(attempt).values():
            for choice_id in choices:
                tab.locator(f'input[value="{choice_id}"]').check()
        tab.get_by_role("button", name="Submit answers").click()
        expect(tab.get_by_role("status")).to_contain_text("You scored 100%")
        expect(tab.get_by_role("link", name="Download your certificate (PDF)")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=ARTIFACTS / "training-quiz-passed.png", full_page=True)
    finally:
        context.close()
    assignment = TrainingAssignment.objects.get(user=employee, module=module)
    assert assignment.status == TrainingAssignment.Status.COMPLETED
    assert TrainingCompletion.objects.get(assignment=assignment).certificate


def test_training_pages_pass_axe(browser, live_server, personas, tmp_path,  # noqa: F811
                                monkeypatch):
    # pyHanko signs through asyncio.run(), which fails in the test thread while
    # Playwright's loop runs there; this test needs no certificate.
    monkeypatch.setattr(quiz, "_queue_certificate", lambda completion_id: None)
    module = write_module(tmp_path, slug="axe-module")
    employee = personas["employee"]
    employee.manager = personas["owner"]
    employee.department = "Payments"
    employee.save()
    take_quiz(personas["approver"], module)
    TrainingAssignment.objects.filter(user=employee).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    assignment = TrainingAssignment.objects.get(user=employee, module=module)

    context, tab = open_tab(browser, live_server)
    try:
        sign_in_with_session_cookie(tab, live_server, employee)
        tab.goto("/training/")
        assert_accessible(tab, "my training")
        tab.goto(f"/training/modules/{module.slug}/")
        assert_accessible(tab, "module")
        tab.get_by_role("button", name="I have finished lesson 1").click()
        tab.get_by_role("button", name="I have finished lesson 2").click()
        tab.get_by_role("button", name="Start the quiz (2 attempts left)").click()
        assert_accessible(tab, "quiz form")
        tab.get_by_role("button", name="Submit answers").click()
        expect(tab.get_by_role("alert")).to_contain_text("Answer every question")
        assert_accessible(tab, "quiz form with error")
        attempt = QuizAttempt.objects.get(assignment=assignment)
        for choices in answers_for(attempt, right=0).values():
            tab.locator(f'input[value="{choices[0]}"]').check()
        tab.get_by_role("button", name="Submit answers").click()
        expect(tab.get_by_role("status")).to_contain_text("did not reach the pass mark")
        assert_accessible(tab, "quiz result")
        context.clear_cookies()

        sign_in_with_session_cookie(tab, live_server, personas["owner"])
        tab.goto("/training/team/")
        expect(tab.get_by_role("cell", name=str(employee), exact=True)).to_be_visible()
        assert_accessible(tab, "team")
        tab.goto(f"/training/assignments/{assignment.pk}/extend/")
        assert_accessible(tab, "extend")
        context.clear_cookies()

        sign_in_with_session_cookie(tab, live_server, personas["author"])
        tab.goto("/training/report/")
        expect(tab.get_by_role("heading", level=2, name="Overdue people")).to_be_visible()
        assert_accessible(tab, "report")
        tab.goto("/training/assign/")
        assert_accessible(tab, "assign")
    finally:
        context.close()


def test_compliance_training_pages_pass_axe(browser, live_server, personas, tmp_path,  # noqa: F811
                                            monkeypatch):
    from django.contrib.auth.models import Group

    from policyhub.accounts import roles
    from policyhub.exports.tasks import render_signed_pdf
    from policyhub.training.models import TrainingRule
    from policyhub.training.services import create_rule
    from policyhub.training.services.phishing import create_exercise, import_results
    from policyhub.training.tasks import daily_training_task

    from .conftest import approve, import_one

    monkeypatch.setattr(render_signed_pdf, "delay", lambda version_id: None)
    module = write_module(tmp_path, slug="axe-compliance")
    author, employee = personas["author"], personas["employee"]
    employee.department = "Payments"
    employee.save()
    policy = import_one(tmp_path, slug="incident-response")
    approve(policy, personas)
    rule = create_rule(author, module, "group", group=Group.objects.get(name=roles.APPROVERS))
    exercise = create_exercise(author, name="Axe exercise", sent_on=timezone.localdate(),
                               theme="Invoice", followup_module=module, followup_due_in_days=7)
    import_results(author, exercise, "axe.csv",
                   b"email,clicked,reported,submitted_credentials\n"
                   b"employee@example.test,yes,no,no\napprover@example.test,no,yes,no\n")
    row = TrainingAssignment.objects.get(user=employee, module=module)
    row.due_date = timezone.localdate() - timedelta(days=40)
    row.recurring = True
    row.save()
    daily_training_task.apply()

    context, tab = open_tab(browser, live_server)
    try:
        sign_in_with_session_cookie(tab, live_server, author)
        tab.goto("/training/rules/")
        expect(tab.get_by_role("link", name=f"Rule {rule.pk}")).to_be_visible()
        assert_accessible(tab, "rules")
        tab.goto(f"/training/rules/{rule.pk}/")
        tab.get_by_role("button", name="Save the change").click()
        assert_accessible(tab, "rule with errors")
        tab.goto("/training/phishing/")
        assert_accessible(tab, "phishing list")
        tab.goto("/training/phishing/new/")
        assert_accessible(tab, "phishing form")
        tab.goto(f"/training/phishing/{exercise.pk}/")
        assert_accessible(tab, "phishing exercise")
        bad = tmp_path / "bad.csv"
        bad.write_text("email,clicked\nemployee@example.test,maybe\n")
        tab.get_by_label("Results file (CSV)").set_input_files(str(bad))
        tab.get_by_role("button", name="Import the results").click()
        expect(tab.get_by_role("alert")).to_contain_text("Missing column")
        assert_accessible(tab, "phishing import errors")
        tab.goto("/training/suspensions/")
        expect(tab.get_by_role("cell", name=str(employee), exact=True)).to_be_visible()
        assert_accessible(tab, "suspensions")
        tab.goto("/training/assign/")
        assert_accessible(tab, "assign with departments")
        context.clear_cookies()

        sign_in_with_session_cookie(tab, live_server, employee)
        tab.goto("/training/")
        expect(tab.get_by_role("alert")).to_contain_text("Confidential information is suspended")
        assert_accessible(tab, "my training suspended")
        tab.goto(policy.url)
        expect(tab.get_by_role("heading", level=1)).to_have_text(
            "Access to Confidential information suspended"
        )
        assert_accessible(tab, "confidential refused")
    finally:
        context.close()
    assert TrainingRule.objects.get(pk=rule.pk).run_status == TrainingRule.RunStatus.DONE
