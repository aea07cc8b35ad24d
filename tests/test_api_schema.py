"""The OpenAPI schema, the offline docs page, and a schemathesis run against it."""

import time

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from rest_framework.test import APIClient

from policyhub.api.scopes import ALL_SCOPES

from .test_api_support import auth, issue_token

pytest_plugins = ["tests.test_api_support"]

EXAMPLES_PER_OPERATION = 20
TIME_CAP_SECONDS = 300
HIGH_RATES = {
    "api_key_read": "100000/min",
    "api_key_write": "100000/min",
    "api_address_read": "100000/min",
    "api_address_write": "100000/min",
    "api_auth_failure": "100000/min",
}


@pytest.mark.django_db
def test_schema_lists_every_api_operation(personas):
    token = issue_token(personas["employee"], {"read:policies"}, personas["author"])
    response = APIClient().get(reverse("api:schema") + "?format=json", **auth(token))
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert len(paths) == 14
    assert all(path.startswith("/api/v1/") for path in paths)
    assert "ApiKey" in response.json()["components"]["securitySchemes"]
    assert APIClient().get(reverse("api:schema")).status_code == 401


@pytest.mark.django_db
def test_docs_page_uses_local_assets(personas):
    client = APIClient()
    client.force_login(personas["employee"])
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page


@pytest.mark.django_db
def test_schemathesis_finds_no_server_error(personas, published_policy):
    token = issue_token(personas["author"], ALL_SCOPES, personas["author"])
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    app = get_wsgi_application()
    headers = {"Authorization": f"Api-Key {token}"}
    started = time.monotonic()
    failures, calls = [], []

    # Django's WSGI handler closes the database connection after each request,
    # which would end the test's transaction, so the receivers are disconnected
    # here as Django's test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _run_operations(schema, app, headers, started, failures, calls)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    assert len(calls) >= 14
    assert 200 in calls
    assert failures == []


def _run_operations(schema, app, headers, started, failures, calls):
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def exercise(case):
            if time.monotonic() - started > TIME_CAP_SECONDS:
                return
            response = case.call(app=app, headers=headers)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.operation.label, response.status_code, response.text[:300]))

        with override_settings(REST_FRAMEWORK=_high_rates()):
            exercise()


def _high_rates():
    from django.conf import settings

    config = {**settings.REST_FRAMEWORK}
    config["DEFAULT_THROTTLE_RATES"] = HIGH_RATES
    return config
