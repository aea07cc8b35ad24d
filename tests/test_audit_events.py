"""Audit events for account, access and configuration changes, request ids
and denied responses."""

import pytest
from allauth.account.signals import password_changed, password_reset
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from guardian.shortcuts import assign_perm, remove_perm
from wagtail.models import Site, Workflow

from policyhub.audit.context import acting_as
from policyhub.audit.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in_request(user, path="/"):
    """A request as the middleware leaves it, for sending allauth's signals."""
    request = RequestFactory().post(path)
    request.session = SessionStore()
    request.user = user
    return request


def new_events(since, action):
    return list(AuditEvent.objects.filter(pk__gt=since, action=action).order_by("id"))


@pytest.fixture
def mark():
    """The id of the newest event before the test acts."""
    last = AuditEvent.objects.order_by("-id").first()
    return last.pk if last else 0


def test_group_membership_change_recorded(personas, mark):
    group = Group.objects.get(name="Auditors")
    with acting_as("command:test"):
        personas["employee"].groups.add(group)
        personas["employee"].groups.remove(group)
    [added] = new_events(mark, "access.group_added")
    [removed] = new_events(mark, "access.group_removed")
    assert added.detail == {"users": [personas["employee"].pk], "groups": ["Auditors"]}
    assert added.actor_label == "command:test"
    assert removed.object_id == str(personas["employee"].pk)


def test_group_clear_and_reverse_recorded(personas, mark):
    group = Group.objects.get(name="Approvers")
    group.user_set.add(personas["outsider"])
    personas["outsider"].groups.clear()
    [added] = new_events(mark, "access.group_added")
    [removed] = new_events(mark, "access.group_removed")
    assert added.object_type == "auth.group"
    assert added.detail["users"] == [personas["outsider"].pk]
    assert removed.detail["groups"] == ["Approvers"]


def test_admin_group_grant_recorded(personas, mark):
    personas["outsider"].groups.add(Group.objects.get(name="Policy Owners"))
    [grant] = new_events(mark, "access.admin_granted")
    assert grant.detail["via"] == "group"
    assert grant.detail["users"] == [personas["outsider"].pk]


def test_superuser_and_staff_flags_recorded(personas, mark):
    user = personas["outsider"]
    user.is_superuser = True
    user.is_staff = True
    user.save()
    user.is_superuser = False
    user.save()
    granted = new_events(mark, "access.admin_granted")
    revoked = new_events(mark, "access.admin_revoked")
    assert sorted(event.detail["via"] for event in granted) == [
        "is_staff",
        "is_superuser",
    ]
    assert [event.detail["via"] for event in revoked] == ["is_superuser"]


def test_unrelated_user_save_records_nothing(personas, mark):
    user = personas["outsider"]
    user.first_name = "Renamed"
    user.save()
    user.save(update_fields=["last_login"])
    assert not AuditEvent.objects.filter(pk__gt=mark).exists()


def test_deactivation_recorded(personas, mark):
    user = personas["employee"]
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    [deactivated] = new_events(mark, "account.deactivated")
    assert deactivated.object_id == str(user.pk)
    assert len(new_events(mark, "account.reactivated")) == 1


def test_group_permission_grant_recorded(personas, mark):
    group = Group.objects.get(name="Employees")
    permission = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    group.permissions.add(permission)
    [added] = new_events(mark, "access.permission_added")
    assert added.detail["permissions"] == ["wagtailadmin.access_admin"]
    assert personas["employee"].pk in added.detail["users"]
    [grant] = new_events(mark, "access.admin_granted")
    assert grant.detail["via"] == "permission"
    group.permissions.remove(permission)
    assert len(new_events(mark, "access.admin_revoked")) == 1


def test_user_permission_change_recorded(personas, mark):
    permission = Permission.objects.get(codename="view_audit_trail")
    personas["employee"].user_permissions.add(permission)
    personas["employee"].user_permissions.clear()
    [added] = new_events(mark, "access.permission_added")
    [removed] = new_events(mark, "access.permission_removed")
    assert added.detail == {
        "permissions": ["audit.view_audit_trail"],
        "users": [personas["employee"].pk],
    }
    assert removed.detail["permissions"] == ["audit.view_audit_trail"]


def test_object_permission_change_recorded(published_policy, personas, mark):
    _, version = published_policy
    assign_perm("policies.download_signed_pdf", personas["employee"], version)
    remove_perm("policies.download_signed_pdf", personas["employee"], version)
    [added] = new_events(mark, "access.object_permission_added")
    [removed] = new_events(mark, "access.object_permission_removed")
    assert added.detail["object_id"] == str(version.pk)
    assert added.detail["users"] == [personas["employee"].pk]
    assert removed.detail["permission"] == "policies.download_signed_pdf"


def test_password_change_and_reset_recorded(personas, mark):
    user = personas["employee"]
    request = signed_in_request(user, "/accounts/password/change/")
    request.request_id = "abc123"
    password_changed.send(sender=type(user), request=request, user=user)
    password_reset.send(sender=type(user), request=request, user=user)
    [changed] = new_events(mark, "account.password_changed")
    assert changed.actor == user
    assert changed.request_id == "abc123"
    assert len(new_events(mark, "account.password_reset")) == 1


def test_password_change_form_recorded(personas, client, mark):
    client.force_login(personas["employee"])
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "Another-Persona-Pass-77!",
            "password2": "Another-Persona-Pass-77!",
        },
    )
    assert response.status_code in (200, 302)
    [changed] = new_events(mark, "account.password_changed")
    assert changed.actor == personas["employee"]


def test_mfa_enrolment_and_removal_recorded(personas, mark):
    mfa_signals = pytest.importorskip("allauth.mfa.signals")
    from allauth.mfa.models import Authenticator

    user = personas["employee"]
    authenticator = Authenticator(user=user, type=Authenticator.Type.TOTP, data={})
    request = signed_in_request(user)
    mfa_signals.authenticator_added.send(
        sender=Authenticator, request=request, user=user, authenticator=authenticator
    )
    mfa_signals.authenticator_removed.send(
        sender=Authenticator, request=request, user=user, authenticator=authenticator
    )
    [added] = new_events(mark, "mfa.authenticator_added")
    assert added.detail["authenticator"] == "totp"
    assert len(new_events(mark, "mfa.authenticator_removed")) == 1


def test_workflow_and_site_changes_recorded(mark):
    workflow = Workflow.objects.create(name="Extra review")
    workflow.active = False
    workflow.save()
    site = Site.objects.first()
    site.site_name = "Renamed"
    site.save()
    created = new_events(mark, "config.created")
    changed = new_events(mark, "config.changed")
    assert created[0].detail["model"] == "wagtailcore.workflow"
    assert [event.detail["model"] for event in changed] == [
        "wagtailcore.workflow",
        "wagtailcore.site",
    ]
    assert created[0].actor_label == "system:unattributed"


def test_task_events_name_task(mark):
    from policyhub.audit.tasks import write_checkpoint_task

    Workflow.objects.create(name="Before task")
    write_checkpoint_task.delay()
    assert AuditEvent.objects.filter(pk__gt=mark).exists()
    from celery.signals import task_prerun

    seen = []

    def record_label(**kwargs):
        from policyhub.audit.context import attribution

        seen.append(attribution())

    task_prerun.connect(record_label, weak=False)
    try:
        write_checkpoint_task.delay()
    finally:
        task_prerun.disconnect(record_label)
    assert seen == [{"system_actor": "task:audit.write_checkpoint"}]


def test_response_carries_request_id(personas, client, mark):
    client.force_login(personas["auditor"])
    response = client.get("/audit/")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    viewed = AuditEvent.objects.get(pk__gt=mark, action="audit.viewed")
    assert viewed.request_id == request_id


def test_incoming_request_id_is_kept(personas, client):
    client.force_login(personas["auditor"])
    incoming = "5f0c8a8e2b7d4c1f9e3a6b2d1c0f4e8a"
    response = client.get("/audit/", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] == incoming


def test_forbidden_page_recorded_as_denied(personas, client, mark):
    client.force_login(personas["employee"])
    response = client.get("/audit/?action=auth.login")
    assert response.status_code == 403
    [denied] = new_events(mark, "access.denied")
    assert denied.actor == personas["employee"]
    assert denied.detail == {"path": "/audit/", "status": 403, "method": "GET"}
    assert denied.object_type == "url:audit:events"


def test_missing_protected_object_recorded(personas, client, mark):
    client.force_login(personas["employee"])
    response = client.get("/audit/reviews/999999/")
    assert response.status_code == 403
    client.force_login(personas["auditor"])
    response = client.get("/audit/reviews/999999/")
    assert response.status_code == 404
    denied = new_events(mark, "access.denied")
    assert [event.detail["status"] for event in denied] == [403, 404]
    assert denied[1].object_id == "999999"


def test_unknown_url_not_recorded(personas, client, mark):
    client.force_login(personas["employee"])
    assert client.get("/no-such-page/").status_code == 404
    assert new_events(mark, "access.denied") == []


def test_view_denial_recorded_once(published_policy, personas, client, mark):
    _, version = published_policy
    client.force_login(personas["employee"])
    client.get(f"/exports/versions/{version.pk}/signed.pdf")
    assert len(new_events(mark, "access.denied")) == 1
