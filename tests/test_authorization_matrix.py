"""Every URL pattern, requested with GET by every role, against an explicit matrix.

The test walks the whole URLconf with ``get_resolver``: portal pages, the
Wagtail admin, the REST API, SCIM and the account pages. Path parameters
take the ids of real objects created below, owned by the employee persona,
so the outsider column shows what a signed-in user without any role gets for
another person's objects. ``tests/authorization_matrix.py`` lists the
expected status for each pattern and role. A pattern missing from it fails
the test, so every new page needs a row.
"""

import datetime
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from policyhub.api import keys
from policyhub.attestations.models import CampaignJob
from policyhub.changes import services as change_services
from policyhub.exceptions import services as exception_services
from policyhub.exports.models import EvidencePack
from policyhub.training.models import TrainingAssignment

from .authorization_matrix import EXPECTED, ROLES
from .test_campaigns import run_campaign
from .test_changes_support import new_change
from .test_training_support import take_quiz, write_module

pytest_plugins = ["tests.test_changes_support"]

# The id used for objects of apps whose rows this test does not create. A
# missing object must get the same response as a forbidden one.
MISSING_ID = 987654


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def url_patterns(resolver=None, prefix=""):
    """Yield (route, URL name, callback) for every pattern of the URLconf."""
    resolver = resolver or get_resolver()
    namespace = f"{resolver.namespace}:" if getattr(resolver, "namespace", None) else ""
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            for route, name, callback in url_patterns(pattern, prefix + str(pattern.pattern)):
                yield route, (f"{namespace}{name}" if namespace else name), callback
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace + (pattern.name or ""), pattern.callback


def keyed_patterns():
    """Return (key, route, name, callback) per pattern.

    The key is the URL name, or ``route:<pattern>`` for unnamed patterns and
    for names that several patterns share.
    """
    patterns = list(url_patterns())
    names = [name for _, name, _ in patterns]
    return [
        (name if name and names.count(name) == 1 else f"route:{route}", route, name, callback)
        for route, name, callback in patterns
    ]


def view_model(callback):
    """Return the model class a generic view declares, or None."""
    model = getattr(callback, "view_initkwargs", {}).get("model") or getattr(
        getattr(callback, "view_class", None), "model", None
    )
    return model if isinstance(model, type) and issubclass(model, Model) else None


def object_id(model):
    first = model._default_manager.order_by("pk").first() if model is not None else None
    return first.pk if first is not None else MISSING_ID


def fill(route, name, callback, ids):
    """Turn ``route`` into a path, with the fixture's ids for its parameters."""
    if name in ids["paths"]:
        return ids["paths"][name]
    by_name = ids["by_name"].get(name, {})

    def value(parameter):
        if parameter in by_name:
            return str(by_name[parameter])
        if parameter in ("pk", "id", "object_id") and view_model(callback) is not None:
            return str(object_id(view_model(callback)))
        return str(ids["by_parameter"].get(parameter, MISSING_ID))

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)\??", lambda match: value(match.group(1)), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: value(match.group(1)), path)
    path = re.sub(r"\(\?:[^)]*\)\?", "", path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


@pytest.fixture
def objects(
    personas, board, systems, published_policy, tmp_path, django_capture_on_commit_callbacks
):
    """Real objects for path parameters, owned by the employee persona."""
    page, version = published_policy
    employee = personas["employee"]
    change = new_change(employee, [systems["core"]])
    upload = SimpleUploadedFile("plan.txt", b"Plan.\n", content_type="text/plain")
    attachment = change_services.add_attachment(
        change, employee, upload, "text/plain", "0" * 64, "Plan"
    )
    exception, _ = exception_services.request_exception(
        employee,
        version,
        token=uuid.uuid4(),
        statements=["AC-11"],
        scope="Legacy terminals",
        business_reason="Vendor support ends later",
        impact="low",
        likelihood="low",
        compensating_controls="Network isolation",
        end_date=timezone.localdate() + datetime.timedelta(days=60),
    )
    campaign = run_campaign(personas["author"], [version], django_capture_on_commit_callbacks)
    module = write_module(tmp_path, slug="matrix-module")
    attempt = take_quiz(employee, module)
    assignment = TrainingAssignment.objects.get(user=employee, module=module)
    pack = EvidencePack.objects.create(
        requested_by=personas["auditor"],
        request_token=uuid.uuid4(),
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
    )
    key = keys.create_key(
        personas["author"],
        user=employee,
        name="Matrix",
        scopes=["read:policies"],
        expires_at=timezone.now() + datetime.timedelta(days=30),
    ).key
    employees = Group.objects.get(name="Employees")
    return {
        "paths": {"wagtail_serve": page.url},
        "by_parameter": {
            "version_id": version.pk,
            "pack_id": pack.pk,
            "campaign_id": campaign.pk,
            "assignment_id": campaign.assignments.get(user=employee).pk,
            "job_id": CampaignJob.objects.filter(campaign=campaign).first().pk,
            "slug": page.slug,
            "attachment_id": attachment.pk,
            "action": "submit",
            "kind": "csv",
            "fmt": "csv",
            "attempt_id": attempt.pk,
            "completion_id": attempt.completion.pk,
            "lesson_id": module.lesson_ids()[0],
            "page_id": page.pk,
            "parent_page_id": page.get_parent().pk,
            "user_id": employee.pk,
            "group_id": employees.pk,
            "app_label": "policies",
            "model_name": "policypage",
            "content_type_app_name": "policies",
            "content_type_model_name": "policypage",
        },
        "by_name": {
            **{name: {"pk": change.pk} for name in CHANGE_NAMES},
            **{name: {"pk": exception.pk} for name in EXCEPTION_NAMES},
            **{name: {"pk": page.pk} for name in API_POLICY_NAMES},
            **{name: {"pk": version.pk} for name in ("api:version", "api:acknowledge")},
            **{name: {"pk": employee.pk} for name in ("api:user_status", "api:deactivate_user")},
            "api:campaign_status": {"pk": campaign.pk},
            "api_keys:revoke": {"pk": key.pk},
            "training:module": {"slug": module.slug},
            "training:lesson_done": {"slug": module.slug},
            "training:quiz_start": {"slug": module.slug},
            "training:extend": {"assignment_id": assignment.pk},
            "training:grant_attempt": {"assignment_id": assignment.pk},
            "wagtailusers_users:edit": {"pk": employee.pk},
            "wagtailusers_users:delete": {"pk": employee.pk},
            "wagtailusers_groups:edit": {"pk": employees.pk},
            "wagtailusers_groups:delete": {"pk": employees.pk},
        },
    }


CHANGE_NAMES = (
    "changes:detail",
    "changes:edit",
    "changes:vote",
    "changes:attach",
    "changes:assign",
    "changes:attachment",
    "changes:pdf",
    "changes:transition",
    "api:change",
    "api:change_transition",
)
EXCEPTION_NAMES = (
    "exceptions:detail",
    "exceptions:decide",
    "exceptions:revoke",
    "exceptions:withdraw",
)
API_POLICY_NAMES = ("api:policy", "api:policy_versions", "api:policy_status")


def role_users(personas, board):
    return {
        "anonymous": None,
        "employee": personas["employee"],
        "owner": personas["owner"],
        "approver": personas["approver"],
        "auditor": personas["auditor"],
        "cab": board["cab1"],
        "admin": personas["author"],
        "outsider": personas["outsider"],
    }


def observe(client, users, path):
    statuses = []
    for role in ROLES:
        client.logout()
        cache.clear()
        if users[role] is not None:
            client.force_login(users[role])
        statuses.append(client.get(path).status_code)
    return tuple(statuses)


def test_every_pattern_matches_matrix(client, personas, board, objects):
    # A view that fails is recorded as 500 instead of ending the walk.
    client.raise_request_exception = False
    users = role_users(personas, board)
    unknown, mismatches, seen = [], [], set()
    for key, route, name, callback in keyed_patterns():
        seen.add(key)
        path = fill(route, name, callback, objects)
        actual = observe(client, users, path)
        if key not in EXPECTED:
            unknown.append(f"    {key!r}: {actual},  # {path}")
        elif actual != EXPECTED[key]:
            mismatches.append(f"{key} {path}: expected {EXPECTED[key]}, got {actual}")
    stale = sorted(set(EXPECTED) - seen)
    message = []
    if unknown:
        message.append(
            "URL patterns missing from tests/authorization_matrix.py; check each observed "
            f"row ({', '.join(ROLES)}) and add it:\n" + "\n".join(unknown)
        )
    if mismatches:
        message.append("Status codes that differ from the matrix:\n" + "\n".join(mismatches))
    if stale:
        message.append("Matrix rows for patterns that no longer exist:\n" + "\n".join(stale))
    assert not message, "\n\n".join(message)


def test_outsider_gets_404_for_objects(client, personas, board, objects):
    """A signed-in user without a role never learns that another person's object exists."""
    client.force_login(personas["outsider"])
    change_id, exception_id = (
        objects["by_name"]["changes:detail"]["pk"],
        objects["by_name"]["exceptions:detail"]["pk"],
    )
    for path in (
        f"/changes/{change_id}/",
        f"/changes/{change_id}/record.pdf",
        f"/exceptions/{exception_id}/",
        f"/api/v1/changes/{change_id}/",
    ):
        assert client.get(path).status_code == 404, path


def test_role_fixture_covers_roles(personas, board):
    users = role_users(personas, board)
    assert list(users) == list(ROLES)
    assert users["cab"].groups.filter(name="CAB").exists()
    assert not users["outsider"].groups.exists()
    assert not get_user_model().objects.filter(is_superuser=True).exists()
