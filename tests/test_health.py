"""Health endpoint used by probes."""

import pytest

pytestmark = pytest.mark.django_db


def test_health_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_health_reports_unreachable_redis(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable"


def test_health_rejects_post(client):
    assert client.post("/healthz").status_code == 405
