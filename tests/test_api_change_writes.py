"""REST API: creating and editing change requests under the portal's rules."""

import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from policyhub.api.models import IdempotencyKey
from policyhub.audit.models import AuditEvent, Outcome
from policyhub.changes import services
from policyhub.changes.models import ChangeRequest, State

from .test_api_support import auth, issue_token
from .test_changes_support import in_days, new_change

pytest_plugins = ["tests.test_api_support", "tests.test_changes_support"]

WRITE = {"read:changes", "write:changes"}


def change_body(systems, **overrides):
    start = in_days(12)
    body = {
        "title": "Rotate the payment gateway certificate",
        "change_type": "normal",
        "description": "Replace the TLS certificate before it expires.",
        "justification": "Payments stop when the certificate expires.",
        "system_ids": [systems["core"].pk],
        "impact": "medium",
        "likelihood": "low",
        "implementation_plan": "Install the new certificate & reload.",
        "rollback_plan": "Reinstall the previous certificate.",
        "test_plan": "Open a test payment.",
        "planned_start": start.isoformat(),
        "planned_end": (start + datetime.timedelta(hours=1)).isoformat(),
    }
    body.update(overrides)
    return body


def post(token, body, **headers):
    return APIClient().post(reverse("api:changes"), body, format="json", **auth(token), **headers)


def patch(token, change, body):
    url = reverse("api:change", args=[change.pk])
    return APIClient().patch(url, body, format="json", **auth(token))


@pytest.fixture
def requester_token(board, personas):
    return issue_token(board["requester"], WRITE, personas["author"])


@pytest.mark.django_db
def test_create_change_happy_path(board, systems, requester_token):
    response = post(requester_token, change_body(systems))

    assert response.status_code == 201, response.content
    change = ChangeRequest.objects.get(pk=response.json()["id"])
    assert response["Location"] == reverse("api:change", args=[change.pk])
    assert change.state == State.DRAFT
    assert change.requester == board["requester"]
    assert change.risk == response.json()["risk"]
    assert list(change.systems.all()) == [systems["core"]]
    assert change.implementation_plan == "Install the new certificate & reload."
    assert change.history.latest().history_user == board["requester"]


@pytest.mark.django_db
def test_create_audit_event_names_key(systems, requester_token):
    response = post(requester_token, change_body(systems))

    event = AuditEvent.objects.get(action="change.create", object_id=str(response.json()["id"]))
    assert event.detail["api_key"] == requester_token.split(".")[0]


@pytest.mark.django_db
def test_create_strips_html(systems, requester_token):
    body = change_body(
        systems,
        title="<b>Rotate</b> the certificate",
        description="Replace it<script>alert(1)</script> now &lt;i&gt;x&lt;/i&gt;",
    )
    response = post(requester_token, body)

    assert response.status_code == 201, response.content
    change = ChangeRequest.objects.get(pk=response.json()["id"])
    assert change.title == "Rotate the certificate"
    assert change.description == "Replace it now x"


@pytest.mark.django_db
def test_create_without_write_scope_403(board, personas, systems):
    token = issue_token(board["requester"], {"read:changes"}, personas["author"])
    response = post(token, change_body(systems))

    assert response.status_code == 403
    assert "write:changes" in response.json()["detail"]
    assert not ChangeRequest.objects.exists()


@pytest.mark.django_db
def test_create_by_non_requester_role_403(board, personas, systems):
    token = issue_token(board["auditor"], WRITE, personas["author"])
    response = post(token, change_body(systems))

    assert response.status_code == 403
    assert not ChangeRequest.objects.exists()


@pytest.mark.django_db
def test_unknown_field_named_in_error(systems, requester_token):
    response = post(requester_token, change_body(systems, requester_id=1, state="approved"))

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"requester_id", "state"}
    assert "Unknown field" in fields["state"][0]
    assert not ChangeRequest.objects.exists()


@pytest.mark.django_db
def test_oversize_input_rejected(systems, requester_token):
    cases = {
        "title": "x" * 201,
        "description": "x" * 20001,
        "system_ids": list(range(1, 102)),
        "implementer_id": 2**64,
    }
    for name, value in cases.items():
        response = post(requester_token, change_body(systems, **{name: value}))
        assert response.status_code == 400, name
        assert name in response.json()["fields"], name
    assert not ChangeRequest.objects.exists()


@pytest.mark.django_db
def test_invalid_dates_rejected(systems, requester_token):
    start = in_days(5)
    cases = [
        ({"planned_start": "next tuesday"}, "planned_start"),
        ({"planned_start": "1999-12-31T10:00:00Z"}, "planned_start"),
        (
            {
                "planned_start": start.isoformat(),
                "planned_end": (start - datetime.timedelta(hours=1)).isoformat(),
            },
            "planned_end",
        ),
    ]
    for overrides, field in cases:
        response = post(requester_token, change_body(systems, **overrides))
        assert response.status_code == 400, overrides
        assert field in response.json()["fields"], overrides


@pytest.mark.django_db
def test_portal_form_rules_apply(systems, requester_token):
    response = post(requester_token, change_body(systems, system_ids=[], impact=""))

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "Choose at least one affected system." in fields["system_ids"]
    assert "impact" in fields


@pytest.mark.django_db
def test_idempotent_retry_creates_one(systems, requester_token):
    body = change_body(systems)
    first = post(requester_token, body, HTTP_IDEMPOTENCY_KEY="3f1c1a52-create-1")
    second = post(requester_token, body, HTTP_IDEMPOTENCY_KEY="3f1c1a52-create-1")

    assert first.status_code == 201
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert ChangeRequest.objects.count() == 1
    stored = IdempotencyKey.objects.get()
    assert "3f1c1a52" not in stored.key_sha256


@pytest.mark.django_db
def test_idempotency_key_reused_for_other_body(systems, requester_token):
    post(requester_token, change_body(systems), HTTP_IDEMPOTENCY_KEY="key-a")
    other = post(
        requester_token, change_body(systems, title="Another"), HTTP_IDEMPOTENCY_KEY="key-a"
    )

    assert other.status_code == 422
    assert "different request body" in other.json()["detail"]
    assert ChangeRequest.objects.count() == 1


@pytest.mark.django_db
def test_idempotency_key_scoped_per_api_key(board, personas, systems, requester_token):
    other_token = issue_token(board["requester"], WRITE, personas["author"])
    body = change_body(systems)
    post(requester_token, body, HTTP_IDEMPOTENCY_KEY="shared")
    response = post(other_token, body, HTTP_IDEMPOTENCY_KEY="shared")

    assert response.status_code == 201
    assert ChangeRequest.objects.count() == 2


@pytest.mark.django_db
def test_failed_create_frees_idempotency_key(systems, requester_token):
    invalid = post(requester_token, change_body(systems, system_ids=[]), HTTP_IDEMPOTENCY_KEY="k1")
    valid = post(
        requester_token,
        change_body(systems, system_ids=[]) | {"system_ids": [systems["core"].pk]},
        HTTP_IDEMPOTENCY_KEY="k1",
    )

    assert invalid.status_code == 400
    assert valid.status_code == 201
    assert ChangeRequest.objects.count() == 1


@pytest.mark.django_db
def test_malformed_idempotency_key_400(systems, requester_token):
    response = post(requester_token, change_body(systems), HTTP_IDEMPOTENCY_KEY="x" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert not ChangeRequest.objects.exists()


# serialized_rollback restores the groups that migrations create, which the
# flush at the end of a transactional test removes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_create_one(board, personas, systems):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL; SQLite serialises them.")
    token = issue_token(board["requester"], WRITE, personas["author"])
    body = change_body(systems)
    statuses = []

    def send():
        try:
            response = post(token, body, HTTP_IDEMPOTENCY_KEY="parallel-1")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201, 201, 201, 201]
    assert ChangeRequest.objects.count() == 1


@pytest.mark.django_db
def test_update_change_happy_path(board, systems, requester_token):
    change = new_change(board["requester"], [systems["core"]])
    response = patch(requester_token, change, {"title": "Upgrade the database to 16.4"})

    assert response.status_code == 200, response.content
    change.refresh_from_db()
    assert change.title == "Upgrade the database to 16.4"
    assert change.description == "Move the database to the next minor release."
    assert list(change.systems.all()) == [systems["core"]]
    event = AuditEvent.objects.get(action="change.update", object_id=str(change.pk))
    assert event.detail["api_key"] == requester_token.split(".")[0]


@pytest.mark.django_db
def test_put_replaces_every_field(board, systems, requester_token):
    change = new_change(board["requester"], [systems["core"]])
    url = reverse("api:change", args=[change.pk])
    body = change_body(systems, system_ids=[systems["web"].pk], impact="high")
    response = APIClient().put(url, body, format="json", **auth(requester_token))

    assert response.status_code == 200, response.content
    change.refresh_from_db()
    assert change.title == body["title"]
    assert list(change.systems.all()) == [systems["web"]]
    partial = APIClient().put(
        url, {"title": "Only a title"}, format="json", **auth(requester_token)
    )
    assert partial.status_code == 400
    assert "description" in partial.json()["fields"]


@pytest.mark.django_db
def test_update_by_other_user_404(board, personas, systems):
    change = new_change(board["requester"], [systems["core"]])
    token = issue_token(board["implementer"], WRITE, personas["author"])
    response = patch(token, change, {"title": "Taken over"})

    assert response.status_code == 404
    change.refresh_from_db()
    assert change.title == "Upgrade the database"


@pytest.mark.django_db
def test_update_by_cab_member_403(board, personas, systems):
    change = new_change(board["requester"], [systems["core"]])
    token = issue_token(board["cab1"], WRITE, personas["author"])
    response = patch(token, change, {"title": "Taken over"})

    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="change.update", outcome=Outcome.DENIED)
    assert denied.detail["api_key"] == token.split(".")[0]
    invalid = patch(token, change, {"state": "approved"})
    assert invalid.status_code == 403


@pytest.mark.django_db
def test_update_after_submission_409(board, systems, requester_token):
    change = new_change(board["requester"], [systems["core"]])
    services.transition(change, "submit", board["requester"])
    response = patch(requester_token, change, {"title": "Too late"})

    assert response.status_code == 409
    assert "draft" in response.json()["detail"]
    change.refresh_from_db()
    assert change.title == "Upgrade the database"


@pytest.mark.django_db
def test_update_without_write_scope_403(board, personas, systems):
    change = new_change(board["requester"], [systems["core"]])
    token = issue_token(board["requester"], {"read:changes"}, personas["author"])
    response = patch(token, change, {"title": "No scope"})

    assert response.status_code == 403
    change.refresh_from_db()
    assert change.title == "Upgrade the database"


@pytest.mark.django_db
def test_update_unknown_field_400(board, systems, requester_token):
    change = new_change(board["requester"], [systems["core"]])
    response = patch(requester_token, change, {"state": "approved"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["state"]
