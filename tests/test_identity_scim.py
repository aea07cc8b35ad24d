"""SCIM 2.0 provisioning: an identity provider creates, updates and
deactivates accounts and changes role memberships with a scim-scoped API key."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policyhub.accounts import roles
from policyhub.api.models import ApiKey
from policyhub.api.scopes import READ_POLICIES, SCIM
from policyhub.audit.models import AuditEvent
from policyhub.scim.models import ScimIdentity

from .conftest import PASSWORD
from .test_api_support import empty_rate_limit_cache, issue_token  # noqa: F401

User = get_user_model()
SCIM_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def provisioner(personas):
    """A service account in Compliance Admins, the role that may provision."""
    user = User.objects.create_user(
        username="idp-sync", email="idp-sync@example.test", password=PASSWORD
    )
    user.groups.add(Group.objects.get(name=roles.COMPLIANCE_ADMINS))
    return user


@pytest.fixture
def token(provisioner, personas):
    return issue_token(provisioner, [SCIM], personas["author"])


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def scim(client, method, path, token, body=None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(path, data, content_type=SCIM_TYPE, **bearer(token))


def new_user_body(user_name="a.new@example.test", **extra):
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "externalId": f"ext-{user_name}",
        "name": {"givenName": "Ada", "familyName": "New"},
        "emails": [{"value": user_name, "primary": True, "type": "work"}],
        "title": "Analyst",
        "active": True,
        **extra,
    }


def users_url(pk=None):
    url = reverse("scim:users")
    return f"{url}/{pk}" if pk else url


def groups_url(pk=None):
    url = reverse("scim:groups")
    return f"{url}/{pk}" if pk else url


def patch_body(*operations):
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def assert_scim_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == SCIM_TYPE
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == status
    assert body["detail"]
    return body


def test_create_user(client, token, provisioner):
    response = scim(client, "post", users_url(), token, new_user_body())

    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="a.new@example.test")
    assert body["id"] == str(user.pk)
    assert body["externalId"] == "ext-a.new@example.test"
    assert body["active"] is True
    assert response["Location"].endswith(users_url(user.pk))
    assert user.first_name == "Ada"
    assert user.job_title == "Analyst"
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert ScimIdentity.objects.get(user=user).external_id == "ext-a.new@example.test"
    event = AuditEvent.objects.get(action="scim.user_created")
    assert event.actor == provisioner
    assert event.object_id == str(user.pk)
    assert event.detail["api_key"] == token.split(".")[0]


def test_duplicate_username_conflicts(client, token):
    assert scim(client, "post", users_url(), token, new_user_body()).status_code == 201

    again = scim(client, "post", users_url(), token, new_user_body("A.New@Example.test"))

    body = assert_scim_error(again, 409)
    assert body["scimType"] == "uniqueness"
    assert "a.new@example.test" in body["detail"].lower()
    assert User.objects.filter(email__iexact="a.new@example.test").count() == 1


def test_filter_by_username(client, token, personas):
    scim(client, "post", users_url(), token, new_user_body())

    response = client.get(
        users_url(), {"filter": 'userName eq "A.NEW@example.test"'}, **bearer(token)
    )

    assert response.status_code == 200
    body = response.json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["userName"] == "a.new@example.test"
    unknown = client.get(users_url(), {"filter": 'userName eq "nobody"'}, **bearer(token))
    assert unknown.json()["totalResults"] == 0


def test_invalid_filter_is_scim_error(client, token):
    response = client.get(users_url(), {"filter": "userName zz"}, **bearer(token))

    assert_scim_error(response, 400)


def test_patch_active_false_deactivates(
    client, token, personas, provisioner, django_capture_on_commit_callbacks
):
    employee = personas["employee"]
    issue_token(employee, [READ_POLICIES], personas["author"])
    browser = client.__class__()
    browser.post(reverse("account_login"), {"login": employee.email, "password": PASSWORD})
    assert Session.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = scim(
            client,
            "patch",
            users_url(employee.pk),
            token,
            patch_body({"op": "Replace", "path": "active", "value": "False"}),
        )

    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    employee.refresh_from_db()
    assert not employee.is_active
    assert employee.groups.count() == 0
    assert Session.objects.count() == 0
    assert ApiKey.objects.filter(user=employee, revoked_at__isnull=True).count() == 0
    revoked = AuditEvent.objects.get(action="account.access_revoked")
    assert token.split(".")[0] in revoked.detail["reason"]
    assert len(revoked.detail["api_keys_revoked"]) == 1
    event = AuditEvent.objects.get(action="scim.user_deactivated")
    assert event.actor == provisioner
    assert event.detail["api_key"] == token.split(".")[0]


def test_delete_deactivates_and_keeps_account(client, token, personas):
    employee = personas["employee"]

    response = scim(client, "delete", users_url(employee.pk), token)

    assert response.status_code == 204
    employee.refresh_from_db()
    assert not employee.is_active
    assert User.objects.filter(pk=employee.pk).exists()


def test_put_replaces_attributes(client, token):
    created = scim(client, "post", users_url(), token, new_user_body()).json()
    body = new_user_body(name={"givenName": "Ada", "familyName": "Renamed"})
    del body["title"]
    body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = {
        "department": "Treasury",
        "employeeNumber": "E-1001",
    }

    response = scim(client, "put", users_url(created["id"]), token, body)

    assert response.status_code == 200, response.content
    user = User.objects.get(pk=created["id"])
    assert user.last_name == "Renamed"
    assert user.job_title == ""
    assert user.department == "Treasury"
    assert user.employee_number == "E-1001"
    event = AuditEvent.objects.get(action="scim.user_updated")
    assert event.detail["fields"] == ["department", "employee_number", "job_title", "last_name"]


def test_password_over_scim_rejected(client, token):
    response = scim(client, "post", users_url(), token, new_user_body(password="Granite-River-55"))

    body = assert_scim_error(response, 400)
    assert "password" in body["detail"]
    assert not User.objects.filter(username="a.new@example.test").exists()


def test_superuser_cannot_be_changed(client, token):
    admin = User.objects.create_superuser("root", "root@example.test", PASSWORD)

    response = scim(
        client,
        "patch",
        users_url(admin.pk),
        token,
        patch_body({"op": "replace", "value": {"active": False}}),
    )

    assert_scim_error(response, 403)
    admin.refresh_from_db()
    assert admin.is_active


def test_unknown_user_is_404(client, token):
    assert_scim_error(scim(client, "get", users_url(999999), token), 404)
    assert_scim_error(scim(client, "get", users_url("not-a-number"), token), 404)


def test_group_membership_changes(client, token, personas, provisioner):
    approvers = Group.objects.get(name=roles.APPROVERS)
    employee = personas["employee"]

    added = scim(
        client,
        "patch",
        groups_url(approvers.pk),
        token,
        patch_body({"op": "add", "path": "members", "value": [{"value": str(employee.pk)}]}),
    )

    assert added.status_code == 200, added.content
    assert employee.groups.filter(pk=approvers.pk).exists()
    assert str(employee.pk) in [member["value"] for member in added.json()["members"]]
    event = AuditEvent.objects.get(action="scim.group_members_added")
    assert event.actor == provisioner
    assert event.detail == {
        "group": roles.APPROVERS,
        "users": [employee.pk],
        "api_key": token.split(".")[0],
    }

    removed = scim(
        client,
        "patch",
        groups_url(approvers.pk),
        token,
        patch_body({"op": "remove", "path": f'members[value eq "{employee.pk}"]'}),
    )

    assert removed.status_code == 200
    assert not employee.groups.filter(pk=approvers.pk).exists()
    assert AuditEvent.objects.filter(action="scim.group_members_removed").count() == 1


def test_groups_limited_to_managed_roles(client, token, personas):
    listing = scim(client, "get", groups_url(), token)
    admins = Group.objects.get(name=roles.COMPLIANCE_ADMINS)

    names = {group["displayName"] for group in listing.json()["Resources"]}
    assert names == {roles.EMPLOYEES, roles.POLICY_OWNERS, roles.APPROVERS, roles.AUDITORS}
    response = scim(
        client,
        "patch",
        groups_url(admins.pk),
        token,
        patch_body(
            {"op": "add", "path": "members", "value": [{"value": str(personas["employee"].pk)}]}
        ),
    )
    assert_scim_error(response, 404)
    assert not personas["employee"].groups.filter(pk=admins.pk).exists()


def test_unauthenticated_is_401(client, personas):
    response = client.get(users_url())

    assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get(users_url(), **bearer("ph_00000000.not-a-secret"))
    assert_scim_error(wrong, 401)
    assert AuditEvent.objects.filter(action="scim.authentication_failed").count() == 2


def test_session_is_not_accepted(client, personas):
    author = personas["author"]
    client.post(reverse("account_login"), {"login": author.email, "password": PASSWORD})

    assert_scim_error(client.get(users_url()), 401)


def test_wrong_scope_is_403(client, provisioner, personas):
    token = issue_token(provisioner, [READ_POLICIES], personas["author"])

    body = assert_scim_error(client.get(users_url(), **bearer(token)), 403)

    assert "scim scope" in body["detail"]


def test_user_without_permission_is_403(client, personas):
    token = issue_token(personas["employee"], [SCIM], personas["author"])

    body = assert_scim_error(client.get(users_url(), **bearer(token)), 403)

    assert "scim.provision_users" in body["detail"]


def test_rate_limit_returns_429(client, token, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "scim": "2/min",
        },
    }

    statuses = [scim(client, "get", users_url(), token).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_service_provider_config(client, token):
    response = client.get(reverse("scim:service-provider-config"), **bearer(token))

    assert response.status_code == 200
    body = response.json()
    assert body["filter"]["supported"] is True
    assert body["changePassword"]["supported"] is False
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_unsupported_attribute_rejected(client, token):
    response = scim(client, "post", users_url(), token, new_user_body(nonsense="x"))

    body = assert_scim_error(response, 400)
    assert "nonsense" in body["detail"]
    assert not User.objects.filter(username="a.new@example.test").exists()


def test_user_list_query_count_constant(client, token):
    def list_queries():
        with CaptureQueriesContext(connection) as queries:
            response = scim(client, "get", users_url(), token)
        assert response.status_code == 200
        return len(queries), response.json()["totalResults"]

    list_queries()  # The first request of a key also records its use.
    few_queries, few_users = list_queries()
    for number in range(5):
        scim(client, "post", users_url(), token, new_user_body(f"extra{number}@example.test"))
    many_queries, many_users = list_queries()

    assert many_users == few_users + 5
    assert many_queries == few_queries
