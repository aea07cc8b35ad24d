"""send_once: at most one email per key, even when retried or raced."""

import smtplib

import pytest
from django.core import mail

from policyhub.notifications.models import Delivery
from policyhub.notifications.services import batches, daily_key, send_once

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def templates(tmp_path, settings):
    (tmp_path / "note.txt").write_text("Hello {{ recipient.first_name }}: {{ item }}")
    (tmp_path / "note.html").write_text("<p>Hello {{ recipient.first_name }}: {{ item }}</p>")
    # Assigning a new list sends setting_changed, which resets the template
    # engines; changing the nested list in place would leave them stale.
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}, *settings.TEMPLATES[1:]]
    return "note"


def send(user, template, key="k:1"):
    return send_once(key, "test", user, "Subject", template, {"item": "x"}, actor="test")


def test_second_send_with_same_key_is_skipped(personas, templates):
    employee = personas["employee"]
    assert send(employee, templates) is True
    assert send(employee, templates) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    assert Delivery.objects.get().status == "sent"


def test_in_flight_claim_blocks_resend(personas, templates):
    employee = personas["employee"]
    Delivery.objects.create(
        dedupe_key="k:1", kind="test", recipient=employee, subject="s", actor="killed"
    )
    assert send(employee, templates) is False
    assert mail.outbox == []


def test_failed_send_can_be_retried(personas, templates, monkeypatch):
    employee = personas["employee"]

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with pytest.raises(smtplib.SMTPException):
        send(employee, templates)
    assert Delivery.objects.get().status == "failed"

    monkeypatch.undo()
    assert send(employee, templates) is True
    assert Delivery.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_inactive_user_gets_nothing(personas, templates):
    outsider = personas["outsider"]
    outsider.is_active = False
    outsider.save()
    assert send(outsider, templates) is False
    assert not Delivery.objects.exists()


def test_daily_key_and_batches():
    import datetime

    key = daily_key("reminder", 3, 7, day=datetime.date(2026, 12, 4))
    assert key == "reminder:3:7:2026-12-04"
    assert [len(b) for b in batches(range(1001), size=500)] == [500, 500, 1]
