# ruff: noqa: F811 - pytest fixtures imported from other modules are redefined as arguments
"""Scheduled procedure runs created by a real Celery worker consuming from
Redis: duplicated beat ticks still create one run per period."""

import time

import pytest

from policyhub.exports.tasks import render_signed_pdf
from policyhub.procedures.models import ProcedureRun
from policyhub.procedures.tasks import create_due_runs_task

from .procedure_fixtures import performers, procedure  # noqa: F401 - fixtures
from .test_worker import (  # noqa: F401
    celery_worker,
    needs_server_database,
    redis_available,
    wait_for,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not redis_available(), reason="Redis is not reachable at CELERY_BROKER_URL"),
    needs_server_database,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def no_policy_pdf(monkeypatch):
    # The policy's signed PDF is not needed here and would delay the worker.
    monkeypatch.setattr(render_signed_pdf, "delay", lambda version_id: None)


def test_worker_creates_one_run_per_period(celery_worker, procedure):
    for _ in range(3):
        create_due_runs_task.delay()

    assert wait_for(lambda: ProcedureRun.objects.filter(procedure=procedure).exists(), 120)
    time.sleep(3)
    runs = ProcedureRun.objects.filter(procedure=procedure)
    assert runs.count() == 1
    run = runs.get()
    assert run.trigger == ProcedureRun.Trigger.SCHEDULED
    assert run.created_by.username == "system"
    assert run.steps.count() == 6
