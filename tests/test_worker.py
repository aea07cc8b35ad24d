"""The signed PDF is rendered by a real Celery worker consuming from Redis."""

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from policyhub.celery import app
from policyhub.exports.models import SignedPolicyPdf
from policyhub.exports.signing import verify_pdf_bytes
from policyhub.exports.tasks import render_signed_pdf

from .conftest import approve, import_one, make_user


def redis_available():
    try:
        return redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()
    except redis.RedisError:
        return False


# A worker thread cannot share SQLite's in-memory test database with the test:
# each locks tables the other needs.
needs_server_database = pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="The worker thread and the test share SQLite's in-memory database, "
    "which locks tables across threads; run with DATABASE_URL set to PostgreSQL.",
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not redis_available(), reason="Redis is not reachable at CELERY_BROKER_URL"
    ),
    needs_server_database,
]


@pytest.fixture
def celery_worker():
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_signs_pdf_once_on_repeat(celery_worker, tmp_path):
    from policyhub.accounts import roles

    personas = {
        "author": make_user("author", roles.COMPLIANCE_ADMINS),
        "owner": make_user("owner", roles.POLICY_OWNERS),
        "approver": make_user("approver", roles.APPROVERS),
    }
    page = import_one(tmp_path)
    version = approve(page, personas)

    # Publication queued one task on commit; a retry or duplicate queues more.
    render_signed_pdf.delay(version.pk)
    render_signed_pdf.delay(version.pk)

    assert wait_for(lambda: SignedPolicyPdf.objects.filter(version=version).exists())
    time.sleep(1)
    records = SignedPolicyPdf.objects.filter(version=version)
    assert records.count() == 1
    record = records.get()
    assert record.created_by_task.startswith("celery:policyhub.exports.tasks.render_signed_pdf@")
    assert "@eager:" not in record.created_by_task
    with record.file.open("rb") as handle:
        assert verify_pdf_bytes(handle.read()).valid
