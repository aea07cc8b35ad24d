"""Approving a policy step needs a recent password or MFA check, and the
approval records what the approver affirmed."""

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.core.cache import cache
from django.urls import reverse
from wagtail.models import TaskState

from policyhub.policies.models import PolicyPage
from policyhub.policies.workflow import act_on_current_step, submit_for_approval

from .conftest import PASSWORD, import_one


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def awaiting_owner(personas, tmp_path):
    page = import_one(tmp_path)
    draft = page.get_latest_revision_as_object()
    submit_for_approval(draft, personas["author"], "Initial version.")
    return PolicyPage.objects.get(pk=page.pk)


def sign_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def age_authentication(client, seconds):
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] = time.time() - seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


def approve_url(page):
    task_state = page.current_workflow_task_state
    return task_state, reverse(
        "wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk)
    )


def test_stale_sign_in_must_reauthenticate(client, personas, awaiting_owner, settings):
    sign_in(client, personas["owner"])
    age_authentication(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    task_state, url = approve_url(awaiting_owner)

    response = client.post(url, {"comment": "Looks right."})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS


def test_reauthentication_resumes_approval(client, personas, awaiting_owner, settings):
    sign_in(client, personas["owner"])
    age_authentication(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    task_state, url = approve_url(awaiting_owner)
    prompt = client.post(url, {"comment": "Looks right."})

    response = client.post(prompt.url, {"password": PASSWORD})
    assert response.status_code == 302

    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_APPROVED
    assert task_state.comment.startswith(
        "I approve version 1.0 of Access Control Policy."
    )
    assert task_state.comment.endswith("Looks right.")


def test_recent_sign_in_approves_directly(client, personas, awaiting_owner):
    sign_in(client, personas["owner"])
    task_state, url = approve_url(awaiting_owner)
    client.post(url, {"comment": ""})
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_APPROVED
    assert task_state.comment == "I approve version 1.0 of Access Control Policy."


def test_published_version_records_affirmations(personas, awaiting_owner):
    act_on_current_step(awaiting_owner, personas["owner"], "approve", "Reviewed.")
    act_on_current_step(awaiting_owner, personas["approver"], "approve", "")
    page = PolicyPage.objects.get(pk=awaiting_owner.pk)
    version = page.current_version()
    comments = list(version.approvals.order_by("step_order").values_list("comment", flat=True))
    assert comments == [
        "I approve version 1.0 of Access Control Policy.\nReviewed.",
        "I approve version 1.0 of Access Control Policy.",
    ]


def test_rejection_needs_no_reauthentication(client, personas, awaiting_owner, settings):
    sign_in(client, personas["owner"])
    age_authentication(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    task_state = awaiting_owner.current_workflow_task_state
    url = reverse(
        "wagtailadmin_pages:workflow_action", args=(awaiting_owner.pk, "reject", task_state.pk)
    )
    client.post(url, {"comment": "Scope is incomplete."})
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_REJECTED
