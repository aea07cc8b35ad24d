"""Employees acknowledge the current version once; status follows major versions."""

import pytest
from django.urls import reverse

from policyhub.attestations.models import Acknowledgement
from policyhub.attestations.services import acknowledge, statuses_for

from .conftest import approve, edit_and_approve, import_one

pytestmark = pytest.mark.django_db


def post_ack(client, version, sha=None, confirm="on", **extra):
    data = {"content_sha256": sha or version.content_sha256}
    if confirm:
        data["confirm"] = confirm
    return client.post(
        reverse("attestations:acknowledge", args=(version.pk,)), data, **extra
    )


def test_acknowledgement_records_evidence(published_policy, personas, client):
    page, version = published_policy
    client.force_login(personas["employee"])

    response = post_ack(
        client, version, HTTP_USER_AGENT="TestBrowser/1.0", REMOTE_ADDR="10.1.2.3"
    )

    assert response.status_code == 302
    ack = Acknowledgement.objects.get(user=personas["employee"], version=version)
    assert ack.content_sha256 == version.content_sha256
    assert ack.ip_address == "10.1.2.3"
    assert ack.user_agent == "TestBrowser/1.0"


def test_double_submit_keeps_one_acknowledgement(published_policy, personas, client):
    _, version = published_policy
    client.force_login(personas["employee"])
    post_ack(client, version)
    response = post_ack(client, version, follow=True)

    assert Acknowledgement.objects.filter(version=version).count() == 1
    assert "You already acknowledged" in response.content.decode()


def test_service_returns_existing_on_repeat(published_policy, personas):
    _, version = published_policy
    first, created_first = acknowledge(personas["employee"], version, version.content_sha256)
    again, created_again = acknowledge(personas["employee"], version, version.content_sha256)
    assert created_first
    assert not created_again
    assert first.pk == again.pk


def test_stale_version_rejected_with_link(published_policy, personas, client):
    page, old = published_policy
    current = edit_and_approve(page, personas, "minor", "Clarified.", "More text.")
    client.force_login(personas["employee"])

    response = post_ack(client, old)

    assert response.status_code == 409
    body = response.content.decode()
    assert f"Version {old.label} is no longer current" in body
    assert page.url in body
    assert f"current version {current.label}" in body
    assert not Acknowledgement.objects.exists()


def test_wrong_content_hash_rejected(published_policy, personas, client):
    _, version = published_policy
    client.force_login(personas["employee"])
    response = post_ack(client, version, sha="0" * 64, follow=True)
    assert "does not match version 1.0" in response.content.decode()
    assert not Acknowledgement.objects.exists()


def test_unticked_box_rejected(published_policy, personas, client):
    _, version = published_policy
    client.force_login(personas["employee"])
    response = post_ack(client, version, confirm=None, follow=True)
    assert "Tick the box" in response.content.decode()
    assert not Acknowledgement.objects.exists()


def test_get_is_not_allowed(published_policy, personas, client):
    _, version = published_policy
    client.force_login(personas["employee"])
    response = client.get(reverse("attestations:acknowledge", args=(version.pk,)))
    assert response.status_code == 405


def test_anonymous_post_goes_to_login(published_policy, client):
    _, version = published_policy
    response = post_ack(client, version)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Acknowledgement.objects.exists()


def test_minor_version_keeps_status(published_policy, personas):
    page, version = published_policy
    employee = personas["employee"]
    acknowledge(employee, version, version.content_sha256)
    edit_and_approve(page, personas, "minor", "Wording.", "Extra wording.")

    [status] = statuses_for(employee)
    assert status.current.label == "1.1"
    assert not status.action_required
    assert status.acknowledged_version.label == "1.0"


def test_major_version_requires_action_again(published_policy, personas):
    page, version = published_policy
    employee = personas["employee"]
    acknowledge(employee, version, version.content_sha256)
    edit_and_approve(page, personas, "major", "New duty.", "A new duty.")

    [status] = statuses_for(employee)
    assert status.current.label == "2.0"
    assert status.action_required


def test_my_policies_page_shows_status(published_policy, personas, client):
    page, version = published_policy
    client.force_login(personas["employee"])
    body = client.get("/policies/").content.decode()
    assert "Action required" in body
    acknowledge(personas["employee"], version, version.content_sha256)
    body = client.get("/policies/").content.decode()
    assert "Acknowledged 1.0" in body


def test_my_policies_query_count_is_flat(
    personas, tmp_path, client, django_assert_max_num_queries
):
    for slug in ("access-control", "cryptography", "information-backup"):
        approve(import_one(tmp_path, slug), personas)
    client.force_login(personas["employee"])
    client.get("/policies/")  # warm caches for the site root lookup
    with django_assert_max_num_queries(12) as captured:
        response = client.get("/policies/")
    three_policies = len(captured.captured_queries)
    assert response.status_code == 200

    for slug in ("cryptography", "logging-and-monitoring", "secure-development"):
        if slug != "cryptography":
            approve(import_one(tmp_path, slug), personas)
    with django_assert_max_num_queries(three_policies):
        client.get("/policies/")


def test_policy_page_requires_login(published_policy, client):
    page, _ = published_policy
    response = client.get(page.url)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_unknown_version_query_is_404(published_policy, personas, client):
    page, _ = published_policy
    client.force_login(personas["employee"])
    response = client.get(page.url + "?version=9.9")
    assert response.status_code == 404
