"""Structured logs: JSON lines with request context, and redaction of
credentials and personal data from every record."""

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from policyhub.logging_config import REDACTED, RedactingFilter, build_logging, redact

from .conftest import PASSWORD, approve, import_one

SECRETS = {
    "form": "login=employee@example.test&password=Hunter-2-Secret&csrfmiddlewaretoken=AbC123",
    "header": "Authorization: Bearer eyJhbGciOi.payload.sig",
    "cookie": "Cookie: messages=x; sessionid=k1q2w3e4r5t6y7u8",
    "json": '{"api_key": "sk_live_12345", "token": "tok_999"}',
    "reset": "GET /accounts/password/reset/key/3-abcdef-123456/",
}
LEAKS = (
    "employee@example.test",
    "Hunter-2-Secret",
    "AbC123",
    "eyJhbGciOi",
    "k1q2w3e4r5t6y7u8",
    "sk_live_12345",
    "tok_999",
    "abcdef-123456",
)


@pytest.mark.parametrize("name", SECRETS)
def test_redact_removes_secret(name):
    cleaned = redact(SECRETS[name])
    assert REDACTED in cleaned
    for leak in LEAKS:
        assert leak not in cleaned


def test_redact_keeps_ordinary_fields():
    line = "GET /audit/ 200 status_code=200 dedupe_key=logreview:1"
    assert redact(line) == line


@pytest.fixture
def captured():
    """Route all logging at DEBUG through the production JSON configuration."""
    stream = io.StringIO()
    logging.config.dictConfig(build_logging(True, "DEBUG", stream=stream))
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def emitted(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_filter_redacts_args_extra_and_exception(captured):
    logger = logging.getLogger("policyhub.test")
    try:
        raise ValueError("bad password=Hunter-2-Secret for employee@example.test")
    except ValueError:
        logger.exception(
            "sign-in of %s failed",
            "employee@example.test",
            extra={
                "session_key": "k1q2w3e4r5t6y7u8",
                "headers": {"Cookie": "sessionid=x"},
            },
        )
    [record] = emitted(captured)
    text = json.dumps(record)
    for leak in (
        "employee@example.test",
        "Hunter-2-Secret",
        "k1q2w3e4r5t6y7u8",
        "sessionid=x",
    ):
        assert leak not in text
    assert record["message"] == f"sign-in of {REDACTED} failed"
    assert "ValueError" in record["exc_info"]
    assert record["session_key"] == REDACTED


def test_filter_is_idempotent():
    record = logging.LogRecord("x", logging.INFO, "", 0, "token=%s", ("abc",), None)
    RedactingFilter().filter(record)
    RedactingFilter().filter(record)
    assert record.getMessage() == f"token={REDACTED}"


@pytest.mark.django_db
def test_request_line_has_context(captured, personas):
    client = Client()
    client.force_login(personas["auditor"])
    response = client.get("/audit/")
    lines = [line for line in emitted(captured) if line["logger"] == "policyhub.request"]
    [line] = [entry for entry in lines if entry["path"] == "/audit/"]
    assert line["status"] == 200
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == personas["auditor"].pk
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"


@pytest.mark.django_db
def test_whole_flow_leaks_no_secret(captured, personas, tmp_path):
    connection.force_debug_cursor = True  # SQL would carry emails and session keys.
    try:
        client = Client(enforce_csrf_checks=True)
        client.get("/accounts/login/")
        csrf_token = client.cookies["csrftoken"].value
        response = client.post(
            "/accounts/login/",
            {
                "login": "employee@example.test",
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf_token,
            },
        )
        assert response.status_code == 302
        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value

        page = import_one(tmp_path)
        version = approve(page, personas)
        csrf_token = client.cookies["csrftoken"].value
        response = client.post(
            f"/acknowledgements/versions/{version.pk}/",
            {
                "content_sha256": version.content_sha256,
                "confirm": "on",
                "csrfmiddlewaretoken": csrf_token,
            },
        )
        assert response.status_code == 302

        auditor = Client()
        auditor.force_login(personas["auditor"])
        pdf = auditor.get(f"/exports/versions/{version.pk}/signed.pdf")
        assert pdf.status_code == 200
        # A careless log line: the filter must still catch it.
        logging.getLogger("policyhub.test").debug(
            "debug dump session=%s",
            {"sessionid": session_id, "email": "author@example.test"},
        )
    finally:
        connection.force_debug_cursor = False

    output = captured.getvalue()
    assert "POST /accounts/login/ 302" in output
    assert f"POST /acknowledgements/versions/{version.pk}/ 302" in output
    assert PASSWORD not in output
    assert session_id not in output
    assert csrf_token not in output
    for persona in personas.values():
        assert persona.email not in output
    assert "@example.test" not in output
