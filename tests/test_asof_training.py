"""As-of view: whose training was current, expired or never completed on a date."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from policyhub.exports.signing import verify_pdf_bytes
from policyhub.policies.asof import active_users_on, end_of_day
from policyhub.training.asof import CURRENT, EXPIRED, NEVER_COMPLETED, training_on
from policyhub.training.models import TrainingAssignment, TrainingCompletion

from .conftest import make_user
from .test_training_support import take_quiz, write_module

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


def backdate_assignment(user, module, days):
    """Move the assignment's history ``days`` back, as if assigned then."""
    when = timezone.now() - datetime.timedelta(days=days)
    TrainingAssignment.history.filter(user_id=user.pk, module_id=module.pk).update(
        history_date=when
    )


def complete(user, module, completed_days_ago, valid_until_days_ago):
    take_quiz(user, module)
    TrainingCompletion.objects.filter(assignment__user=user, assignment__module=module).update(
        completed_at=timezone.now() - datetime.timedelta(days=completed_days_ago),
        valid_until=days_ago(valid_until_days_ago),
    )


def backdate_user(user, days=90):
    """Move the user's history ``days`` back, as if the account existed then."""
    when = timezone.now() - datetime.timedelta(days=days)
    get_user_model().history.filter(id=user.pk).update(history_date=when)


def assign(user, module, assigned_days_ago=60):
    backdate_user(user)
    TrainingAssignment.objects.create(user=user, module=module, due_date=days_ago(40))
    backdate_assignment(user, module, assigned_days_ago)


@pytest.fixture
def history(personas, tmp_path):
    """Create a module assigned 60 days ago to three people.

    One completion was valid until ten days ago, one until 25 days ago, and
    the third person never completed it. A fourth person was assigned today.
    """
    module = write_module(tmp_path, slug="history-module", assign=[])
    people = {
        "valid": make_user("valid"),
        "lapsed": make_user("lapsed"),
        "never": make_user("never"),
        "late": make_user("late"),
    }
    for name in ("valid", "lapsed", "never"):
        assign(people[name], module)
    TrainingAssignment.objects.create(user=people["late"], module=module, due_date=TODAY())
    complete(people["valid"], module, completed_days_ago=30, valid_until_days_ago=10)
    complete(people["lapsed"], module, completed_days_ago=50, valid_until_days_ago=25)
    return module, people


def statuses(day, module_slug=None):
    cutoff = end_of_day(day)
    [entry] = training_on(day, cutoff, active_users_on(cutoff), module_slug)
    return {row.person.username: row.status for row in entry.rows}, entry


def test_training_state_twenty_days_ago(history):
    module, people = history
    found, entry = statuses(days_ago(20))

    assert found == {"valid": CURRENT, "lapsed": EXPIRED, "never": NEVER_COMPLETED}
    assert entry.module == module
    assert entry.rate == 33


def test_training_state_today(history):
    found, _ = statuses(TODAY())

    assert found["valid"] == EXPIRED
    assert found["lapsed"] == EXPIRED
    assert found["never"] == NEVER_COMPLETED
    assert found["late"] == NEVER_COMPLETED


def test_training_before_completion_never_completed(history):
    found, _ = statuses(days_ago(55))

    assert found["valid"] == NEVER_COMPLETED
    assert found["lapsed"] == NEVER_COMPLETED


def test_cancelled_later_still_counted(history):
    module, people = history
    assignment = TrainingAssignment.objects.get(user=people["never"], module=module)
    assignment.status = TrainingAssignment.Status.CANCELLED
    assignment.save()

    before, _ = statuses(days_ago(20))
    after, _ = statuses(TODAY())
    assert before["never"] == NEVER_COMPLETED
    assert "never" not in after


def queries_before_and_after_more_people(module, action):
    """Return the query counts of ``action()`` before and after six more people are assigned."""
    with CaptureQueriesContext(connection) as before:
        action()
    for number in range(6):
        assign(make_user(f"extra{number}"), module)
    with CaptureQueriesContext(connection) as after:
        action()
    return len(before), len(after)


def test_training_queries_constant_in_people(history):
    module, _ = history

    def build():
        cutoff = end_of_day(days_ago(20))
        training_on(days_ago(20), cutoff, active_users_on(cutoff))

    few, many = queries_before_and_after_more_people(module, build)
    assert many == few


def test_as_of_page_shows_training(history, personas, client):
    module, _ = history
    client.force_login(personas["auditor"])
    day = days_ago(20).isoformat()

    summary = client.get(f"/auditor/as-of/?date={day}")
    detail = client.get(f"/auditor/as-of/?date={day}&module={module.slug}")

    assert summary.status_code == 200
    assert "1 of 3 (33%)" in summary.content.decode()
    page = detail.content.decode()
    assert "Lapsed Persona" in page
    assert "Never completed" in page


def test_as_of_page_queries_constant_in_people(history, personas, client):
    module, _ = history
    client.force_login(personas["auditor"])
    url = f"/auditor/as-of/?date={days_ago(20).isoformat()}&module={module.slug}"
    client.get(url)

    def load():
        assert client.get(url).status_code == 200

    few, many = queries_before_and_after_more_people(module, load)
    assert many == few


def test_as_of_pdf_lists_training(history, personas, client):
    module, _ = history
    client.force_login(personas["auditor"])
    day = days_ago(20).isoformat()
    response = client.get(f"/auditor/as-of/?date={day}&module={module.slug}&format=pdf")

    assert response.status_code == 200
    assert verify_pdf_bytes(response.content).valid
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Training current on" in text
    assert "Lapsed Persona" in text
    assert "Never completed" in text
