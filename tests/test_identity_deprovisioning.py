"""Deactivating a leaver ends their sessions, removes every grant, keeps their
records and is audited; the HR CSV import does the same for many users."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from policyhub.accounts.deprovisioning import deactivate_user
from policyhub.audit.models import AuditEvent
from policyhub.policies.models import PolicyApproval

from .conftest import PASSWORD

User = get_user_model()


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def sign_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_deactivation_revokes_everything(
    client, personas, published_policy, django_capture_on_commit_callbacks
):
    page, version = published_policy
    approver = personas["approver"]
    approver.user_permissions.add(Permission.objects.get(codename="access_admin"))
    assign_perm("policies.change_policypage", approver, page)
    sign_in(client, approver)
    assert Session.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert deactivate_user(approver, actor=personas["author"], reason="Left the bank")

    approver = User.objects.get(pk=approver.pk)
    assert not approver.is_active
    assert approver.groups.count() == 0
    assert approver.user_permissions.count() == 0
    assert not UserObjectPermission.objects.filter(user=approver).exists()
    assert Session.objects.count() == 0
    assert client.get(reverse("portal:home")).status_code == 302
    assert "_auth_user_id" not in client.session
    # Records stay: the approval still names the approver.
    assert PolicyApproval.objects.filter(version=version, approved_by=approver).exists()
    event = AuditEvent.objects.get(action="account.access_revoked")
    assert event.actor == personas["author"]
    assert event.object_id == str(approver.pk)
    assert event.detail["reason"] == "Left the bank"
    assert event.detail["groups_removed"] == ["Approvers", "Employees"]
    assert event.detail["object_permissions_removed"] == 1


def test_deactivated_user_cannot_sign_in(client, personas):
    user = personas["employee"]
    deactivate_user(user, system_actor="test")
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)


def test_second_deactivation_changes_nothing(personas):
    user = personas["employee"]
    assert deactivate_user(user, system_actor="test") is True
    assert deactivate_user(user, system_actor="test") is False
    assert AuditEvent.objects.filter(action="account.access_revoked").count() == 1


def test_deactivation_names_an_actor(personas):
    with pytest.raises(ValueError, match="actor"):
        deactivate_user(personas["employee"])


def test_saving_inactive_user_revokes_access(personas):
    """Unticking "active" in the Wagtail user editor has the same effect."""
    user = personas["approver"]
    user.is_active = False
    user.save()
    assert user.groups.count() == 0
    assert AuditEvent.objects.filter(action="account.access_revoked").exists()


def test_deactivated_approver_loses_approval_actions(personas, tmp_path):
    from policyhub.policies.workflow import submit_for_approval

    from .conftest import import_one

    page = import_one(tmp_path)
    submit_for_approval(page.get_latest_revision_as_object(), personas["author"], "First.")
    owner = personas["owner"]
    task = page.current_workflow_task.specific
    assert task.get_actions(page, owner) != []
    deactivate_user(owner, system_actor="test")
    owner = User.objects.get(pk=owner.pk)
    assert task.get_actions(page, owner) == []
    assert not User.objects.filter(groups__name="Policy Owners", pk=owner.pk).exists()


def write_csv(tmp_path, text):
    path = tmp_path / "leavers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_hr_csv_deactivates_listed_users(personas, tmp_path, capsys):
    path = write_csv(
        tmp_path,
        "email,reason\nEMPLOYEE@example.test,Resigned\nauditor@example.test,\n"
        "ghost@example.test,Unknown\n",
    )
    call_command("deactivate_users", str(path))
    out = capsys.readouterr()
    assert "Deactivated 2 users; 0 were already inactive." in out.out
    assert "line 4: ghost@example.test" in out.err
    assert not User.objects.get(pk=personas["employee"].pk).is_active
    assert not User.objects.get(pk=personas["auditor"].pk).is_active
    assert User.objects.get(pk=personas["owner"].pk).is_active
    events = AuditEvent.objects.filter(action="account.access_revoked")
    assert {event.actor_label for event in events} == {"command:deactivate_users"}

    call_command("deactivate_users", str(path))
    assert "Deactivated 0 users; 2 were already inactive." in capsys.readouterr().out


def test_hr_csv_without_email_column_rejected(db, tmp_path):
    path = write_csv(tmp_path, "mail,reason\nx@example.test,Left\n")
    with pytest.raises(CommandError, match="no column email"):
        call_command("deactivate_users", str(path))


def test_hr_csv_missing_file_rejected(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("deactivate_users", str(tmp_path / "absent.csv"))
