"""Assignment rules: departments, joiners and movers, the background run,
editing and retiring with history, and the rule pages."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from policyhub.accounts import roles
from policyhub.audit.models import AuditEvent
from policyhub.training.models import TrainingAssignment, TrainingCompletion, TrainingRule
from policyhub.training.services import create_rule, edit_rule, retire_rule
from policyhub.training.tasks import run_rule_task

from .conftest import make_user
from .test_training_support import take_quiz, write_module

pytestmark = pytest.mark.django_db

OPEN = TrainingAssignment.Status.OPEN
CANCELLED = TrainingAssignment.Status.CANCELLED


@pytest.fixture
def module(personas, tmp_path):
    return write_module(tmp_path, slug="rules-module", assign=[])


def in_department(name, department):
    person = make_user(name, roles.EMPLOYEES)
    person.department = department
    person.save()
    return person


def assigned_usernames(module, status=OPEN):
    return set(
        TrainingAssignment.objects.filter(module=module, status=status).values_list(
            "user__username", flat=True
        )
    )


def new_rule(actor, module, target, callbacks, **kwargs):
    with callbacks(execute=True):
        rule = create_rule(actor, module, target, **kwargs)
    rule.refresh_from_db()
    return rule


def test_department_rule_assigns_members(personas, module, django_capture_on_commit_callbacks):
    in_department("payer1", "Payments")
    in_department("payer2", "Payments")
    in_department("risky", "Risk")
    rule = new_rule(
        personas["author"],
        module,
        "department",
        django_capture_on_commit_callbacks,
        department="Payments",
        due_in_days=10,
    )
    assert assigned_usernames(module) == {"payer1", "payer2"}
    assert rule.run_status == TrainingRule.RunStatus.DONE
    assert rule.run_assigned == 2
    assert str(rule) == f"{module.title} for department Payments"


def test_unknown_department_is_rejected(personas, module):
    with pytest.raises(Exception, match="No active person is in department 'Paymnts'"):
        create_rule(personas["author"], module, "department", department="Paymnts")
    assert not TrainingRule.objects.exists()


def test_joiner_and_mover_get_department_training(
    personas, tmp_path, django_capture_on_commit_callbacks
):
    payments = write_module(tmp_path, slug="payments-module", assign=[])
    risk = write_module(tmp_path, slug="risk-module", assign=[])
    in_department("seed-payer", "Payments")
    in_department("seed-risk", "Risk")
    new_rule(
        personas["author"],
        payments,
        "department",
        django_capture_on_commit_callbacks,
        department="Payments",
    )
    new_rule(
        personas["author"],
        risk,
        "department",
        django_capture_on_commit_callbacks,
        department="Risk",
    )

    with django_capture_on_commit_callbacks(execute=True):
        joiner = make_user("joiner")
        joiner.department = "Payments"
        joiner.save()
    assert "joiner" in assigned_usernames(payments)

    with django_capture_on_commit_callbacks(execute=True):
        joiner.department = "Risk"
        joiner.save()
    assert "joiner" in assigned_usernames(risk)
    assert "joiner" in assigned_usernames(payments, CANCELLED)
    assert "joiner" not in assigned_usernames(payments)


def test_rule_runs_after_commit_not_inline(personas, module, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rule = create_rule(personas["author"], module, "everyone")
    assert rule.run_status == TrainingRule.RunStatus.QUEUED
    assert not TrainingAssignment.objects.filter(module=module).exists()
    assert len(callbacks) == 1
    callbacks[0]()
    rule.refresh_from_db()
    assert rule.run_status == TrainingRule.RunStatus.DONE
    assert TrainingAssignment.objects.filter(module=module).count() == rule.run_assigned


def test_rule_task_repeat_creates_no_duplicates(
    personas, module, django_capture_on_commit_callbacks
):
    rule = new_rule(personas["author"], module, "everyone", django_capture_on_commit_callbacks)
    count = TrainingAssignment.objects.filter(module=module).count()
    assert count == rule.run_assigned > 0
    run_rule_task.apply(args=[rule.pk])
    run_rule_task.apply(args=[rule.pk])
    rule.refresh_from_db()
    assert TrainingAssignment.objects.filter(module=module).count() == count
    assert rule.run_assigned == 0
    last = rule.history.order_by("-history_id").first()
    assert last.history_user.username == "system"
    applied = AuditEvent.objects.filter(action="training.rule_applied").order_by("-pk").first()
    assert applied.actor_label.startswith("celery:policyhub.training.tasks.run_rule_task@")


def test_same_rule_twice_is_rejected(personas, module, django_capture_on_commit_callbacks):
    new_rule(personas["author"], module, "everyone", django_capture_on_commit_callbacks)
    with pytest.raises(Exception, match="already assigns"):
        create_rule(personas["author"], module, "everyone")
    assert TrainingRule.objects.filter(module=module).count() == 1


def test_edit_affects_future_assignments_only(personas, module, django_capture_on_commit_callbacks):
    rule = new_rule(
        personas["author"], module, "everyone", django_capture_on_commit_callbacks, due_in_days=14
    )
    existing = TrainingAssignment.objects.get(user=personas["employee"], module=module)
    rule, changed = edit_rule(personas["author"], rule, due_in_days=40, reason="Longer module")
    assert changed is True
    existing.refresh_from_db()
    assert existing.due_date == timezone.localdate() + timedelta(days=14)

    with django_capture_on_commit_callbacks(execute=True):
        make_user("latecomer")
    late = TrainingAssignment.objects.get(user__username="latecomer", module=module)
    assert late.due_date == timezone.localdate() + timedelta(days=40)

    before = rule.history.count()
    _, changed_again = edit_rule(personas["author"], rule, due_in_days=40, reason="Again")
    assert changed_again is False
    assert rule.history.count() == before
    entry = rule.history.filter(due_in_days=40).order_by("history_id").first()
    assert entry.history_user == personas["author"]
    assert "Longer module" in entry.history_change_reason


def test_edit_needs_reason_and_admin(personas, module, django_capture_on_commit_callbacks):
    rule = new_rule(personas["author"], module, "everyone", django_capture_on_commit_callbacks)
    with pytest.raises(Exception, match="Give a reason"):
        edit_rule(personas["author"], rule, due_in_days=20, reason=" ")
    with pytest.raises(Exception, match="Only compliance administrators"):
        edit_rule(personas["employee"], rule, due_in_days=20, reason="Mine")


def test_retire_cancels_uncovered_keeps_completions(
    personas, module, django_capture_on_commit_callbacks
):
    author = personas["author"]
    everyone = new_rule(author, module, "everyone", django_capture_on_commit_callbacks)
    approvers = new_rule(
        author,
        module,
        "group",
        django_capture_on_commit_callbacks,
        group=Group.objects.get(name=roles.APPROVERS),
    )
    take_quiz(personas["employee"], module)

    with django_capture_on_commit_callbacks(execute=True):
        everyone, retired = retire_rule(author, everyone, "Replaced by role training")
    assert retired is True

    owner = TrainingAssignment.objects.get(user=personas["owner"], module=module)
    assert owner.status == CANCELLED
    approver = TrainingAssignment.objects.get(user=personas["approver"], module=module)
    assert approver.status == OPEN
    assert approver.rule_id == approvers.pk
    employee = TrainingAssignment.objects.get(user=personas["employee"], module=module)
    assert employee.status == TrainingAssignment.Status.COMPLETED
    assert employee.recurring is False
    assert TrainingCompletion.objects.filter(assignment=employee).count() == 1
    reasons = list(owner.history.values_list("history_change_reason", flat=True))
    assert any("retired" in (reason or "") for reason in reasons)
    assert AuditEvent.objects.filter(action="training.rule_retired").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        _, retired_again = retire_rule(author, everyone, "Double submit")
    assert retired_again is False
    assert AuditEvent.objects.filter(action="training.rule_retired").count() == 1


def test_new_rule_reopens_cancelled_assignment(
    personas, module, django_capture_on_commit_callbacks
):
    author = personas["author"]
    rule = new_rule(author, module, "everyone", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        retire_rule(author, rule, "Paused")
    row = TrainingAssignment.objects.get(user=personas["employee"], module=module)
    assert row.status == CANCELLED
    new_rule(author, module, "user", django_capture_on_commit_callbacks, user=personas["employee"])
    row.refresh_from_db()
    assert row.status == OPEN
    assert row.cycle == 2
    assert row.recurring is True


def test_rule_pages_edit_and_retire(client, personas, module, django_capture_on_commit_callbacks):
    rule = new_rule(personas["author"], module, "everyone", django_capture_on_commit_callbacks)
    client.force_login(personas["author"])
    url = reverse("training:rule", args=[rule.pk])
    missing = client.post(url, {"edit-due_in_days": 30, "edit-reason": ""})
    assert missing.status_code == 400
    assert "This field is required" in missing.content.decode()
    response = client.post(url, {"edit-due_in_days": 30, "edit-reason": "Longer"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.due_in_days == 30
    retire_url = reverse("training:rule_retire", args=[rule.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(retire_url, {"retire-reason": "Obsolete"})
        second = client.post(retire_url, {"retire-reason": "Obsolete"})
    assert first.status_code == second.status_code == 302
    page = client.get(url).content.decode()
    assert "Retired" in page
    assert "Obsolete" in page


def test_employee_cannot_manage_rules(client, personas, module, django_capture_on_commit_callbacks):
    rule = new_rule(personas["author"], module, "everyone", django_capture_on_commit_callbacks)
    client.force_login(personas["employee"])
    assert client.get(reverse("training:rules")).status_code == 403
    retire = client.post(reverse("training:rule_retire", args=[rule.pk]), {"retire-reason": "x"})
    assert retire.status_code == 403
    rule.refresh_from_db()
    assert rule.retired_at is None


def count_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_rule_list_query_count_constant(
    client, personas, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(personas["author"])
    first = write_module(tmp_path, slug="count-one", assign=[])
    new_rule(personas["author"], first, "everyone", django_capture_on_commit_callbacks)
    few = count_queries(client, reverse("training:rules"))
    for number in range(3):
        extra = write_module(tmp_path, slug=f"count-more-{number}", assign=[])
        new_rule(
            personas["author"],
            extra,
            "group",
            django_capture_on_commit_callbacks,
            group=Group.objects.get(name=roles.APPROVERS),
        )
    assert count_queries(client, reverse("training:rules")) == few
