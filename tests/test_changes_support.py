"""Personas, systems and change requests shared by the change management tests.

This module contains fixtures and helpers only. The test modules load the
fixtures through ``pytest_plugins`` and import the helpers.
"""

import datetime

import pytest
from django.utils import timezone

from policyhub.changes import services
from policyhub.changes.models import ChangeType, StandardChangeTemplate, System

from .conftest import make_user


@pytest.fixture
def board(db):
    """Requester, implementer, three CAB members, two Emergency CAB members,
    a CISO, an auditor and an outsider."""
    return {
        "requester": make_user("requester", "Employees"),
        "implementer": make_user("implementer", "Employees"),
        "cab1": make_user("cab1", "CAB", "Employees"),
        "cab2": make_user("cab2", "CAB", "Employees"),
        "cab3": make_user("cab3", "CAB", "Employees"),
        "ecab1": make_user("ecab1", "Emergency CAB", "Employees"),
        "ecab2": make_user("ecab2", "Emergency CAB", "Employees"),
        "ciso": make_user("ciso", "Employees"),
        "auditor": make_user("cabauditor", "Auditors"),
        "outsider": make_user("nobody"),
    }


@pytest.fixture
def systems(db):
    return {
        "core": System.objects.create(name="Core banking"),
        "web": System.objects.create(name="Online banking"),
        "mail": System.objects.create(name="Email"),
    }


@pytest.fixture
def template(systems):
    item = StandardChangeTemplate.objects.create(
        name="Apply monthly OS patches",
        description="Vendor security patches on application servers.",
        implementation_plan="Drain, patch, reboot, return to pool.",
        rollback_plan="Restore the pre-patch snapshot.",
        test_plan="Health checks pass on each server.",
        approved_on=datetime.date(2026, 1, 15),
    )
    item.systems.set([systems["web"]])
    return item


def in_days(days, hours=0):
    base = timezone.now().replace(minute=0, second=0, microsecond=0)
    return base + datetime.timedelta(days=days, hours=hours)


def new_change(requester, systems_list, change_type=ChangeType.NORMAL, start=None, hours=2,
               implementer=None, impact="medium", likelihood="medium", template=None,
               title="Upgrade the database"):
    start = start or in_days(10)
    fields = {
        "title": title,
        "description": "Move the database to the next minor release.",
        "justification": "The current release loses vendor support.",
        "change_type": change_type,
        "template": template,
        "impact": impact,
        "likelihood": likelihood,
        "implementation_plan": "Stop, upgrade, start.",
        "rollback_plan": "Restore the snapshot.",
        "test_plan": "Run the smoke tests.",
        "planned_start": start,
        "planned_end": start + datetime.timedelta(hours=hours),
        "implementer": implementer,
    }
    return services.create_change(requester, fields, systems_list)


def to_cab_review(change, board):
    """Carry a normal change from draft to CAB review."""
    change = services.transition(change, "submit", board["requester"])
    change = services.transition(change, "assess", board["cab1"])
    return services.transition(change, "send_to_cab", board["cab1"])


def approve_by_majority(change, board):
    services.cast_vote(change, board["cab1"], "approve", "Plan is sound.")
    services.cast_vote(change, board["cab2"], "approve", "Agreed.")
    change.refresh_from_db()
    return change
