"""REST API: keys, scopes, permissions, rate limits, validation and exposure."""

import datetime
import hashlib
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework import serializers as drf_serializers
from rest_framework.test import APIClient

from policyhub.api import keys
from policyhub.api import serializers as api_serializers
from policyhub.api.models import ApiKey
from policyhub.api.permissions import HasScopesAndPermissions
from policyhub.api.scopes import ALL_SCOPES
from policyhub.api.throttling import AddressRateThrottle, KeyRateThrottle
from policyhub.attestations.models import Campaign
from policyhub.audit.models import AuditEvent
from policyhub.audit.services import record_event

from .conftest import edit_and_approve
from .test_api_support import all_scopes_but, auth, issue_token
from .test_changes_support import new_change

pytest_plugins = ["tests.test_api_support", "tests.test_changes_support"]


@pytest.fixture
def world(personas, published_policy, board, systems):
    """A published policy, a draft change, a campaign and the personas."""
    page, version = published_policy
    change = new_change(board["requester"], [systems["core"]])
    campaign = Campaign.objects.create(
        name="Annual attestation",
        due_date=datetime.date.today() + datetime.timedelta(days=30),
        created_by=personas["author"],
    )
    return {
        "page": page,
        "version": version,
        "change": change,
        "campaign": campaign,
        "personas": personas,
        "board": board,
    }


def endpoint_table(world):
    """(name, method, url, required scopes, acting user, body, success status)."""
    page, version = world["page"], world["version"]
    people, board = world["personas"], world["board"]
    change = world["change"]
    return [
        (
            "policies",
            "get",
            reverse("api:policies"),
            {"read:policies"},
            people["employee"],
            None,
            200,
        ),
        (
            "policy",
            "get",
            reverse("api:policy", args=[page.pk]),
            {"read:policies"},
            people["employee"],
            None,
            200,
        ),
        (
            "policy_versions",
            "get",
            reverse("api:policy_versions", args=[page.pk]),
            {"read:policies"},
            people["employee"],
            None,
            200,
        ),
        (
            "version",
            "get",
            reverse("api:version", args=[version.pk]),
            {"read:policies"},
            people["employee"],
            None,
            200,
        ),
        (
            "my_status",
            "get",
            reverse("api:my_status"),
            {"read:status"},
            people["employee"],
            None,
            200,
        ),
        (
            "user_status",
            "get",
            reverse("api:user_status", args=[people["employee"].pk]),
            {"read:status"},
            people["author"],
            None,
            200,
        ),
        (
            "policy_status",
            "get",
            reverse("api:policy_status", args=[page.pk]),
            {"read:status"},
            people["author"],
            None,
            200,
        ),
        (
            "campaign_status",
            "get",
            reverse("api:campaign_status", args=[world["campaign"].pk]),
            {"read:status"},
            people["author"],
            None,
            200,
        ),
        (
            "acknowledge",
            "post",
            reverse("api:acknowledge", args=[version.pk]),
            {"write:acknowledgements"},
            people["employee"],
            {"content_sha256": version.content_sha256},
            201,
        ),
        (
            "audit_events",
            "get",
            reverse("api:audit_events"),
            {"read:audit"},
            people["author"],
            None,
            200,
        ),
        (
            "deactivate_user",
            "post",
            reverse("api:deactivate_user", args=[people["outsider"].pk]),
            {"deactivate:users"},
            people["author"],
            {"reason": "Left the bank."},
            200,
        ),
        ("changes", "get", reverse("api:changes"), {"read:changes"}, board["requester"], None, 200),
        (
            "change",
            "get",
            reverse("api:change", args=[change.pk]),
            {"read:changes"},
            board["requester"],
            None,
            200,
        ),
        (
            "change_transition",
            "post",
            reverse("api:change_transition", args=[change.pk]),
            {"read:changes", "write:changes"},
            board["requester"],
            {"action": "submit"},
            200,
        ),
    ]


def call(method, url, token=None, body=None):
    client = APIClient()
    headers = auth(token) if token else {}
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, body, format="json", **headers)


@pytest.mark.django_db
def test_each_endpoint_scope_allows_and_denies(world):
    creator = world["personas"]["author"]
    for name, method, url, scopes, user, body, expected in endpoint_table(world):
        missing = call(method, url, issue_token(user, all_scopes_but(*scopes), creator), body)
        assert missing.status_code == 403, (name, missing.content)
        assert missing.json()["error"] == "permission_denied", name
        anonymous = call(method, url, None, body)
        assert anonymous.status_code == 401, (name, anonymous.content)
        assert anonymous["WWW-Authenticate"] == "Api-Key", name
        allowed = call(method, url, issue_token(user, scopes, creator), body)
        assert allowed.status_code == expected, (name, allowed.content)


@pytest.mark.django_db
def test_api_routes_declare_scopes_and_limits():
    resolver = get_resolver()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    routes = [
        (route, view) for route, view in walk(resolver.url_patterns) if route.startswith("api/")
    ]
    assert len(routes) >= 16
    for route, callback in routes:
        view = callback.view_class
        assert getattr(view, "required_scopes", None) is not None, route
        assert set(view.required_scopes) <= ALL_SCOPES, route
        for method, method_scopes in getattr(view, "method_scopes", {}).items():
            assert set(method_scopes) <= ALL_SCOPES, (route, method)
        assert HasScopesAndPermissions in view.permission_classes, route
        throttles = view().get_throttles()
        assert any(isinstance(t, KeyRateThrottle) for t in throttles), route
        assert any(isinstance(t, AddressRateThrottle) for t in throttles), route


@pytest.mark.django_db
def test_user_lacking_permission_gets_403(world):
    people = world["personas"]
    token = issue_token(people["employee"], ALL_SCOPES, people["author"])
    for name in ("audit_events", "user_status", "policy_status", "deactivate_user"):
        row = next(row for row in endpoint_table(world) if row[0] == name)
        response = call(row[1], row[2], token, row[5])
        assert response.status_code == 403, name
    assert get_user_model().objects.get(pk=people["outsider"].pk).is_active


@pytest.mark.django_db
def test_oversized_path_id_is_404(personas):
    token = issue_token(personas["employee"], {"read:policies"}, personas["author"])
    response = call("get", reverse("api:policy", args=[2**64]), token)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.django_db
def test_change_outside_visibility_is_404(world):
    people = world["personas"]
    token = issue_token(people["employee"], ALL_SCOPES, people["author"])
    response = call("get", reverse("api:change", args=[world["change"].pk]), token)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


SERIALIZER_FIELDS = {
    "PolicySerializer": ["id", "title", "slug", "classification", "current_version_id"],
    "PolicyVersionSerializer": [
        "id",
        "policy_id",
        "label",
        "major",
        "minor",
        "title",
        "change_type",
        "change_summary",
        "classification",
        "effective_date",
        "next_review_date",
        "content_sha256",
        "published_at",
        "signed_pdf_url",
    ],
    "PolicyStatusSerializer": [
        "policy_id",
        "policy_title",
        "current_version_id",
        "current_version_label",
        "acknowledged_version_id",
        "action_required",
    ],
    "UserStatusSerializer": [
        "user_id",
        "username",
        "display_name",
        "acknowledged_version_id",
        "acknowledged_at",
        "action_required",
    ],
    "AcknowledgeSerializer": ["content_sha256"],
    "AcknowledgementSerializer": [
        "id",
        "user_id",
        "version_id",
        "cycle",
        "content_sha256",
        "acknowledged_at",
    ],
    "AuditEventSerializer": [
        "id",
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "ip_address",
        "request_id",
        "detail",
        "previous_hash",
        "event_hash",
    ],
    "DeactivateSerializer": ["reason"],
    "DeactivationResultSerializer": ["user_id", "deactivated"],
    "ChangeRequestSerializer": [
        "id",
        "title",
        "change_type",
        "state",
        "impact",
        "likelihood",
        "risk",
        "planned_start",
        "planned_end",
        "requester_id",
        "implementer_id",
        "review_round",
        "submitted_at",
        "decided_at",
        "implemented_at",
        "closed_at",
        "close_code",
        "created_at",
        "updated_at",
    ],
    "ChangeTransitionSerializer": ["action", "close_code", "close_notes"],
    "ChangeRequestInputSerializer": [
        "title",
        "change_type",
        "template_id",
        "description",
        "justification",
        "system_ids",
        "policy_version_ids",
        "category_id",
        "impact",
        "likelihood",
        "implementation_plan",
        "rollback_plan",
        "test_plan",
        "planned_start",
        "planned_end",
        "implementer_id",
    ],
}


def test_serializer_fields_match_snapshot():
    found = {
        name: cls
        for name, cls in vars(api_serializers).items()
        if isinstance(cls, type)
        and issubclass(cls, drf_serializers.Serializer)
        and cls.__module__ == api_serializers.__name__
        and name != "StrictSerializer"
    }
    assert sorted(found) == sorted(SERIALIZER_FIELDS)
    for name, cls in found.items():
        assert list(cls().fields) == SERIALIZER_FIELDS[name], name
        meta = getattr(cls, "Meta", None)
        assert getattr(meta, "exclude", None) is None, name
        assert getattr(meta, "fields", None) != "__all__", name


FORBIDDEN_FIELDS = {"password", "email", "secret", "secret_sha256", "totp", "mfa", "token"}


def test_no_serializer_exposes_secrets():
    for name in SERIALIZER_FIELDS:
        fields = set(getattr(api_serializers, name)().fields)
        assert not fields & FORBIDDEN_FIELDS, name


@pytest.mark.django_db
def test_responses_never_contain_emails(world):
    creator = world["personas"]["author"]
    for name, method, url, scopes, user, body, _expected in endpoint_table(world):
        response = call(method, url, issue_token(user, scopes, creator), body)
        assert b"@example.test" not in response.content, name
        assert b"pbkdf2" not in response.content, name
        assert b"md5$" not in response.content, name


@pytest.mark.django_db
def test_key_secret_stored_only_as_hash(personas):
    token = issue_token(personas["employee"], {"read:policies"}, personas["author"])
    prefix, secret = token.split(".")
    key = ApiKey.objects.get(prefix=prefix)
    assert prefix.startswith("ph_")
    assert len(prefix) == 11
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64.
    assert key.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    stored_rows = [*ApiKey.objects.values(), *ApiKey.history.values()]
    assert stored_rows
    for row in stored_rows:
        assert secret not in str(row)
    for event in AuditEvent.objects.filter(action="api.key_created"):
        assert secret not in str(event.detail)


@pytest.mark.django_db
def test_portal_shows_token_once(personas):
    client = APIClient()
    client.force_login(personas["author"])
    expires = (timezone.now() + datetime.timedelta(days=30)).date().isoformat()
    created = client.post(
        reverse("api_keys:list"),
        {
            "name": "HR system",
            "user": personas["employee"].username,
            "scopes": ["read:status"],
            "expires_on": expires,
        },
    )
    assert created.status_code == 201
    key = ApiKey.objects.get()
    token_start = f"{key.prefix}.".encode()
    assert token_start in created.content
    assert "no-store" in created["Cache-Control"]
    listing = client.get(reverse("api_keys:list"))
    assert listing.status_code == 200
    assert key.prefix.encode() in listing.content
    assert token_start not in listing.content
    assert AuditEvent.objects.filter(action="api.key_created", object_id=str(key.pk)).exists()


@pytest.mark.django_db
def test_portal_rejects_long_expiry(personas):
    client = APIClient()
    client.force_login(personas["author"])
    too_late = (timezone.now() + datetime.timedelta(days=400)).date().isoformat()
    response = client.post(
        reverse("api_keys:list"),
        {
            "name": "HR system",
            "user": personas["employee"].username,
            "scopes": ["read:status"],
            "expires_on": too_late,
        },
    )
    assert response.status_code == 400
    assert b"at most 365 days" in response.content
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_admin_scope_expires_within_90_days(personas):
    with pytest.raises(ValidationError, match="90 days"):
        keys.create_key(
            personas["author"],
            user=personas["author"],
            name="HR",
            scopes=["deactivate:users"],
            expires_at=timezone.now() + datetime.timedelta(days=120),
        )


@pytest.mark.django_db
def test_keys_page_needs_compliance_admin(personas):
    client = APIClient()
    client.force_login(personas["employee"])
    assert client.get(reverse("api_keys:list")).status_code == 403
    with pytest.raises(PermissionDenied, match="compliance admins"):
        keys.create_key(
            personas["employee"],
            user=personas["employee"],
            name="x",
            scopes=["read:policies"],
            expires_at=timezone.now() + datetime.timedelta(days=1),
        )


@pytest.mark.django_db
def test_revoked_expired_and_deactivated_keys_get_401(personas):
    url = reverse("api:policies")
    creator = personas["author"]
    revoked = issue_token(personas["employee"], {"read:policies"}, creator)
    assert call("get", url, revoked).status_code == 200
    client = APIClient()
    client.force_login(creator)
    key = ApiKey.objects.get(prefix=revoked.split(".")[0])
    assert client.post(reverse("api_keys:revoke", args=[key.pk])).status_code == 302
    assert AuditEvent.objects.filter(action="api.key_revoked", object_id=str(key.pk)).exists()
    assert key.history.count() == 2

    expired = issue_token(personas["approver"], {"read:policies"}, creator)
    ApiKey.objects.filter(prefix=expired.split(".")[0]).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    leaver = issue_token(personas["owner"], {"read:policies"}, creator)
    get_user_model().objects.filter(pk=personas["owner"].pk).update(is_active=False)
    wrong_secret = revoked.split(".")[0] + ".not-the-secret"

    for token in (revoked, expired, leaver, wrong_secret, "garbage", "ph_12345678."):
        response = call("get", url, token)
        assert response.status_code == 401, token
        assert response.json()["error"] == "authentication_failed", token


@pytest.mark.django_db
def test_last_used_written_once_a_minute(personas):
    token = issue_token(personas["employee"], {"read:policies"}, personas["author"])
    for _ in range(3):
        assert call("get", reverse("api:policies"), token).status_code == 200
    key = ApiKey.objects.get(prefix=token.split(".")[0])
    assert key.last_used_at is not None
    assert AuditEvent.objects.filter(action="api.key_used", object_id=str(key.pk)).count() == 1
    ApiKey.objects.filter(pk=key.pk).update(
        last_used_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    call("get", reverse("api:policies"), token)
    assert AuditEvent.objects.filter(action="api.key_used", object_id=str(key.pk)).count() == 2


def _rates(**changes):
    from django.conf import settings

    config = {**settings.REST_FRAMEWORK}
    config["DEFAULT_THROTTLE_RATES"] = {**config["DEFAULT_THROTTLE_RATES"], **changes}
    return override_settings(REST_FRAMEWORK=config)


@pytest.mark.django_db
def test_read_limit_returns_429_retry_after(personas):
    token = issue_token(personas["employee"], {"read:policies"}, personas["author"])
    with _rates(api_key_read="2/min"):
        statuses = [call("get", reverse("api:policies"), token).status_code for _ in range(3)]
        response = call("get", reverse("api:policies"), token)
    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"] == "throttled"


@pytest.mark.django_db
def test_write_limit_stricter_than_read(personas, published_policy):
    _page, version = published_policy
    token = issue_token(
        personas["employee"], {"write:acknowledgements", "read:policies"}, personas["author"]
    )
    url = reverse("api:acknowledge", args=[version.pk])
    body = {"content_sha256": version.content_sha256}
    with _rates(api_key_write="1/min", api_key_read="5/min"):
        first = call("post", url, token, body)
        second = call("post", url, token, body)
        read = call("get", reverse("api:policies"), token)
    assert first.status_code == 201
    assert second.status_code == 429
    assert "Retry-After" in second
    assert read.status_code == 200


@pytest.mark.django_db
def test_address_limit_spans_keys(personas):
    creator = personas["author"]
    first = issue_token(personas["employee"], {"read:policies"}, creator)
    second = issue_token(personas["approver"], {"read:policies"}, creator)
    with _rates(api_address_read="2/min"):
        assert call("get", reverse("api:policies"), first).status_code == 200
        assert call("get", reverse("api:policies"), second).status_code == 200
        assert call("get", reverse("api:policies"), first).status_code == 429


@pytest.mark.django_db
def test_failed_keys_block_the_address(personas):
    good = issue_token(personas["employee"], {"read:policies"}, personas["author"])
    bad = good.split(".")[0] + ".wrong"
    statuses = [call("get", reverse("api:policies"), bad).status_code for _ in range(10)]
    blocked = call("get", reverse("api:policies"), good)
    assert statuses == [401] * 10
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    failures = AuditEvent.objects.filter(action="api.authentication_failed").count()
    assert failures == 10


@pytest.mark.django_db
def test_unknown_body_field_rejected(personas, published_policy):
    _page, version = published_policy
    token = issue_token(personas["employee"], {"write:acknowledgements"}, personas["author"])
    response = call(
        "post",
        reverse("api:acknowledge", args=[version.pk]),
        token,
        {"content_sha256": version.content_sha256, "user_id": 1},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert "Unknown field" in body["fields"]["user_id"][0]
    assert body["request_id"]


@pytest.mark.django_db
def test_unknown_query_parameter_rejected(personas):
    token = issue_token(personas["employee"], {"read:policies"}, personas["author"])
    response = call("get", reverse("api:policies") + "?owner=1", token)
    assert response.status_code == 400
    assert "owner" in response.json()["fields"]


@pytest.mark.django_db
def test_malformed_hash_names_field(personas, published_policy):
    _page, version = published_policy
    token = issue_token(personas["employee"], {"write:acknowledgements"}, personas["author"])
    for value in ("abc", "G" * 64, "", None):
        response = call(
            "post", reverse("api:acknowledge", args=[version.pk]), token, {"content_sha256": value}
        )
        assert response.status_code == 400, value
        assert "content_sha256" in response.json()["fields"], value


@pytest.mark.django_db
def test_non_json_body_rejected(personas, published_policy):
    _page, version = published_policy
    token = issue_token(personas["employee"], {"write:acknowledgements"}, personas["author"])
    response = APIClient().post(
        reverse("api:acknowledge", args=[version.pk]),
        {"content_sha256": version.content_sha256},
        format="multipart",
        **auth(token),
    )
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


@pytest.mark.django_db
def test_stale_acknowledgement_returns_409(personas, published_policy):
    page, first = published_policy
    second = edit_and_approve(page, personas, "major", "Tighten rules.", "New clause.")
    token = issue_token(personas["employee"], {"write:acknowledgements"}, personas["author"])
    response = call(
        "post",
        reverse("api:acknowledge", args=[first.pk]),
        token,
        {"content_sha256": first.content_sha256},
    )
    assert response.status_code == 409
    assert response.json()["current_version_id"] == second.pk
    assert response.json()["error"] == "conflict"


@pytest.mark.django_db
def test_acknowledge_acts_as_key_user(personas, published_policy):
    _page, version = published_policy
    token = issue_token(personas["employee"], {"write:acknowledgements"}, personas["author"])
    url = reverse("api:acknowledge", args=[version.pk])
    first = call("post", url, token, {"content_sha256": version.content_sha256})
    repeat = call("post", url, token, {"content_sha256": version.content_sha256})
    assert first.status_code == 201
    assert first.json()["user_id"] == personas["employee"].pk
    assert repeat.status_code == 200
    assert repeat.json()["id"] == first.json()["id"]
    wrong = call("post", url, token, {"content_sha256": "0" * 64})
    assert wrong.status_code == 400


@pytest.mark.django_db
def test_deactivate_strips_html_and_revokes(personas):
    token = issue_token(personas["author"], {"deactivate:users"}, personas["author"])
    target = personas["employee"]
    response = call(
        "post",
        reverse("api:deactivate_user", args=[target.pk]),
        token,
        {"reason": "<b>Leaver</b> <script>alert(1)</script>"},
    )
    assert response.status_code == 200
    assert response.json() == {"user_id": target.pk, "deactivated": True}
    target.refresh_from_db()
    assert not target.is_active
    assert not target.groups.exists()
    event = AuditEvent.objects.filter(action="account.access_revoked").last()
    assert event.detail["reason"] == "API: Leaver"
    assert event.actor_label == f"user:{personas['author'].pk}"
    again = call(
        "post", reverse("api:deactivate_user", args=[target.pk]), token, {"reason": "Second call."}
    )
    assert again.json()["deactivated"] is False


@pytest.mark.django_db
def test_deactivate_reason_length_bounded(personas):
    token = issue_token(personas["author"], {"deactivate:users"}, personas["author"])
    url = reverse("api:deactivate_user", args=[personas["employee"].pk])
    response = call("post", url, token, {"reason": "x" * 501})
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    own = call(
        "post",
        reverse("api:deactivate_user", args=[personas["author"].pk]),
        token,
        {"reason": "Testing."},
    )
    assert own.status_code == 400


@pytest.mark.django_db
def test_change_transition_uses_service_rules(world):
    board, change = world["board"], world["change"]
    creator = world["personas"]["author"]
    requester = issue_token(board["requester"], {"read:changes", "write:changes"}, creator)
    cab = issue_token(board["cab1"], {"read:changes", "write:changes"}, creator)
    url = reverse("api:change_transition", args=[change.pk])
    early = call("post", url, cab, {"action": "assess"})
    assert early.status_code == 409
    submitted = call("post", url, requester, {"action": "submit"})
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    denied = call("post", url, requester, {"action": "assess"})
    assert denied.status_code == 403
    assert AuditEvent.objects.filter(action="change.submit", object_id=str(change.pk)).exists()


@pytest.mark.django_db
def test_session_post_needs_csrf(personas, published_policy):
    _page, version = published_policy
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas["employee"])
    assert client.get(reverse("api:my_status")).status_code == 200
    response = client.post(
        reverse("api:acknowledge", args=[version.pk]),
        {"content_sha256": version.content_sha256},
        format="json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def read_all_events(token, url, pages=100):
    """Follow ``next`` until an empty page; return (ids seen, next URL)."""
    seen = []
    for _ in range(pages):
        response = call("get", url, token)
        assert response.status_code == 200
        results = response.json()["results"]
        url = response.json()["next"]
        assert url is not None
        if not results:
            break
        seen.extend(row["id"] for row in results)
    return seen, url


@pytest.mark.django_db
def test_audit_cursor_never_skips_or_repeats(personas):
    for number in range(7):
        record_event("test.before", detail={"n": number})
    token = issue_token(personas["author"], {"read:audit"}, personas["author"])
    expected = set(AuditEvent.objects.values_list("id", flat=True))
    url = reverse("api:audit_events") + "?page_size=3"
    seen = []
    for page_number in range(100):
        response = call("get", url, token)
        assert response.status_code == 200
        results = response.json()["results"]
        if not results:
            break
        seen.extend(row["id"] for row in results)
        # Events written between two page reads, as a live system would.
        if page_number < 4:
            expected.add(record_event("test.between", detail={"page": page_number}).pk)
        url = response.json()["next"]
    expected |= set(AuditEvent.objects.filter(action="api.key_used").values_list("id", flat=True))
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    assert set(seen) == expected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_audit_cursor_with_concurrent_writer(personas):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite allows one writer, so a second writing thread gets 'database is locked'."
        )
    token = issue_token(personas["author"], {"read:audit"}, personas["author"])
    written = []

    def write_events():
        try:
            for number in range(30):
                written.append(record_event("test.concurrent", detail={"n": number}).pk)
        finally:
            connection.close()

    writer = threading.Thread(target=write_events)
    writer.start()
    seen, url = read_all_events(token, reverse("api:audit_events") + "?page_size=2")
    writer.join(timeout=60)
    assert not writer.is_alive()
    later, _url = read_all_events(token, url)
    seen += later
    assert len(written) == 30
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    assert set(written) <= set(seen)
    assert set(seen) == set(AuditEvent.objects.values_list("id", flat=True))
