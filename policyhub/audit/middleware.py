"""Request id, request log line and audit events for denied requests."""

import logging
import time
import uuid

from django.conf import settings
from django_guid import get_guid

from .context import current_request, loaded_user
from .models import Outcome
from .services import client_ip, record_event

logger = logging.getLogger("policyhub.request")


class AuditRequestMiddleware:
    """Give each request an id, log one line when it ends, audit denials.

    django-guid reads or creates the id and returns it in ``X-Request-ID``;
    this middleware copies it to ``request.request_id`` for ``record_event``.
    Place it directly after django-guid's middleware, so its timing covers
    the whole request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = get_guid() or uuid.uuid4().hex
        token = current_request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            if _is_denial_to_record(request, response):
                record_denial(request, response.status_code)
            _log_request(request, response.status_code, duration_ms)
            return response
        finally:
            current_request.reset(token)


def _log_request(request, status, duration_ms):
    user = loaded_user(request)
    level = logging.WARNING if status >= 500 else logging.INFO
    logger.log(
        level,
        "%s %s %s",
        request.method,
        request.path,
        status,
        extra={
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": duration_ms,
            "user_id": user.pk if user else None,
            "client_ip": client_ip(request),
        },
    )


def _is_denial_to_record(request, response):
    """Return whether ``response`` denied access to something worth auditing.

    Every 403 counts. A 404 counts when a signed-in person asked a resolved
    URL under a protected prefix for an object it did not find or hid; a 404
    for an unknown URL or an anonymous caller is noise, not an attempt.
    """
    if getattr(request, "audit_denial_recorded", False):
        return False
    if response.status_code == 403:
        return True
    if response.status_code != 404:
        return False
    if getattr(request, "resolver_match", None) is None:
        return False
    if loaded_user(request) is None:
        return False
    return request.path.startswith(tuple(settings.AUDIT_PROTECTED_PATH_PREFIXES))


def record_denial(request, status):
    """Record an ``access.denied`` event for the object the URL named."""
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match else ""
    object_id = ""
    if match:
        object_id = next((str(value) for value in match.kwargs.values()), "")
    user = getattr(request, "user", None)
    record_event(
        "access.denied",
        actor=user,
        object_type=f"url:{view}"[:100] if view else "url",
        object_id=object_id,
        outcome=Outcome.DENIED,
        request=request,
        detail={"path": request.path[:300], "status": status, "method": request.method},
    )
