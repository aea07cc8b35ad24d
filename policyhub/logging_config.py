"""Logging for web, Celery worker and beat: one configuration for all three.

Production writes one JSON object per line to stdout (python-json-logger);
the demo writes readable lines. Every record passes ``RequestContextFilter``,
which adds the request id and user id, and then ``RedactingFilter``, which
removes credentials and email addresses from the message, its arguments,
extra fields and exception text.
"""

import logging
import re

from django_guid.context import guid

from policyhub.audit.context import current_request, loaded_user

REDACTED = "[redacted]"
# Names whose values are secrets wherever they appear as key=value, key: value
# or "key": "value" (form fields, headers, JSON, query strings).
# The names are patterns to redact, not a secret (ruff S105).
SECRET_NAMES = (
    r"password\d?|passwd|secret|token|csrfmiddlewaretoken|x-csrftoken|"  # noqa: S105
    r"api[_-]?key|private[_-]?key|signing[_-]?key|session_?id|session_?key|"
    r"authorization|cookie|otp|otp_code|login_code|recovery_codes"
)
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>["']?\b[\w-]*?(?:{SECRET_NAMES})\b["']?)  # the name, maybe quoted
    (?P<sep>\s*[:=]\s*|\s*,\s*)                     # =, : or a tuple's comma
    (?!\[redacted\])                                  # not redacted already
    (?P<value>"[^"]*"|'[^']*'|[^\s,;&}}\]\)]+)        # the value
    """
)
# A header line "Cookie: a=1; b=2" keeps no part of its value.
_HEADER_LINE = re.compile(
    r"(?i)\b(cookie|set-cookie|authorization|proxy-authorization)(:[ \t]*)[^\r\n'\"]+"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]+")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# allauth's password reset link carries its token in the path.
_RESET_KEY_PATH = re.compile(r"(/password/reset/key/)[^/\s]+")
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
}


def redact(text):
    """Return ``text`` with secrets, credentials and email addresses replaced."""
    text = _RESET_KEY_PATH.sub(rf"\1{REDACTED}", text)
    text = _HEADER_LINE.sub(rf"\1\2{REDACTED}", text)
    text = _AUTH_SCHEME.sub(rf"\1 {REDACTED}", text)
    text = _KEY_VALUE.sub(_replace_value, text)
    return _EMAIL.sub(REDACTED, text)


def _replace_value(match):
    value = match.group("value")
    quote = value[0] if value[:1] in "\"'" else ""
    return f"{match.group('key')}{match.group('sep')}{quote}{REDACTED}{quote}"


def _redact_value(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            key: REDACTED if _is_secret_name(key) else _redact_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(item) for item in value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


def _is_secret_name(name):
    return (
        isinstance(name, str) and re.fullmatch(rf"(?i)[\w-]*?(?:{SECRET_NAMES})", name) is not None
    )


class RedactingFilter(logging.Filter):
    """Remove passwords, tokens, keys, session ids, cookies, authorization
    headers and email addresses from a record before any handler formats it.

    The message is merged with its arguments first, so a secret passed as an
    argument is redacted too; the exception is formatted and redacted into
    ``exc_text``, and ``exc_info`` dropped so no formatter prints it raw.
    """

    def filter(self, record):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name in _STANDARD_ATTRIBUTES:
                continue
            record.__dict__[name] = REDACTED if _is_secret_name(name) else _redact_value(value)
        return True


class RequestContextFilter(logging.Filter):
    """Add ``request_id`` and ``user_id`` of the current request or task."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = guid.get() or ""
        if getattr(record, "user_id", None) is None:
            request = current_request.get()
            user = loaded_user(request) if request is not None else None
            record.user_id = user.pk if user is not None else None
        return True


JSON_FORMAT = "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def build_logging(
    json_output,
    level="INFO",
    stream="ext://sys.stdout",
    service="web",
    environment="production",
):
    """Return a ``LOGGING`` dict: JSON lines or readable text, both redacted.

    JSON lines carry ``timestamp`` (ISO 8601 in UTC, microseconds) and the
    static fields ``system``, ``service`` and ``environment``. ``stream`` may
    be a file-like object, which tests use to capture output.
    """
    if json_output:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": JSON_FORMAT,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
            "static_fields": {
                "system": "policyhub",
                "service": service,
                "environment": environment,
            },
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_context": {"()": "policyhub.logging_config.RequestContextFilter"},
            "redact": {"()": "policyhub.logging_config.RedactingFilter"},
        },
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": stream,
                "formatter": "main",
                "filters": ["request_context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django and Celery add handlers of their own; route them to ours.
            "django": {"handlers": ["console"], "level": level, "propagate": False},
            "celery": {"handlers": ["console"], "level": level, "propagate": False},
            # django-guid logs every generated id at INFO.
            "django_guid": {"level": "WARNING"},
            # SQL with its parameters (personal data) is never logged, even at DEBUG.
            "django.db.backends": {"level": "INFO"},
            # WeasyPrint and its font subsetter log every step at INFO.
            "fontTools": {"level": "WARNING"},
            "weasyprint": {"level": "WARNING"},
            # pyHanko logs a traceback for every untrusted or broken signature it
            # validates; PolicyHub reports the result itself.
            # Wagtail's search and reference-index tasks log every run at INFO.
            "django_tasks": {"level": "WARNING"},
            "pyhanko": {"level": "CRITICAL"},
            "pyhanko_certvalidator": {"level": "CRITICAL"},
        },
    }
