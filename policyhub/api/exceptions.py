"""JSON errors: what failed, on which field, and a request id for support."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


def _request_id(context):
    request = context.get("request")
    return getattr(getattr(request, "_request", request), "request_id", "") or ""


def _code(exc):
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    return codes if isinstance(codes, str) else getattr(exc, "default_code", "error")


def api_exception_handler(exc, context):
    """Turn every error into ``{"error", "detail", "fields"?, "request_id"}``.

    Validation errors list each field with its reasons. Unexpected errors get
    a generic 500 with the request id; the traceback goes only to the log.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    request_id = _request_id(context)
    if response is None:
        logger.exception("Unhandled API error, request %s", request_id)
        return Response(
            {
                "error": "server_error",
                "detail": "The server failed to handle the request; quote the request id.",
                "request_id": request_id,
            },
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    body = {"error": _code(exc), "request_id": request_id}
    if isinstance(exc, exceptions.ValidationError):
        body["error"] = "invalid"
        body["detail"] = "The request is invalid; see fields for each reason."
        body["fields"] = (
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        )
    else:
        body["detail"] = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        body.update(getattr(exc, "extra", {}))
    response.data = body
    return response


class Conflict(exceptions.APIException):
    """A 409 response; ``extra`` contains more members of the error body, such as ids."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."

    def __init__(self, detail=None, extra=None):
        super().__init__(detail)
        self.extra = extra or {}

