"""Who may download signed PDFs and reach the portal."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

pytestmark = pytest.mark.django_db


def pdf_url(version):
    return reverse("exports:signed_pdf", args=(version.pk,))


@pytest.mark.parametrize("persona", ["auditor", "author"])
def test_auditors_and_compliance_download(published_policy, personas, client, persona):
    _, version = published_policy
    client.force_login(personas[persona])
    response = client.get(pdf_url(version))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("persona", ["employee", "owner", "approver", "outsider"])
def test_other_roles_get_403(published_policy, personas, client, persona):
    _, version = published_policy
    client.force_login(personas[persona])
    response = client.get(pdf_url(version))
    assert response.status_code == 403


def test_anonymous_goes_to_login(published_policy, client):
    _, version = published_policy
    response = client.get(pdf_url(version))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_object_permission_grants_one_version(published_policy, personas, client):
    page, version = published_policy
    outsider = personas["outsider"]
    assign_perm("policies.download_signed_pdf", outsider, version)
    client.force_login(outsider)
    assert client.get(pdf_url(version)).status_code == 200


def test_unknown_version_is_404(personas, client):
    client.force_login(personas["auditor"])
    assert client.get(reverse("exports:signed_pdf", args=(999999,))).status_code == 404


def test_employee_sees_no_download_link(published_policy, personas, client):
    page, _ = published_policy
    client.force_login(personas["employee"])
    assert "Download signed PDF" not in client.get(page.url).content.decode()
    client.force_login(personas["auditor"])
    assert "Download signed PDF" in client.get(page.url).content.decode()


def test_employee_cannot_open_admin(personas, client):
    client.force_login(personas["employee"])
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert response.status_code != 200


@pytest.mark.parametrize("persona", ["owner", "approver", "author"])
def test_staff_roles_open_admin(personas, client, persona):
    client.force_login(personas[persona])
    assert client.get("/admin/").status_code == 200


def test_certificate_download_needs_login(client, personas):
    assert client.get(reverse("exports:certificate")).status_code == 302
    client.force_login(personas["employee"])
    response = client.get(reverse("exports:certificate"))
    assert b"BEGIN CERTIFICATE" in response.content
