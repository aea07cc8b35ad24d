"""SCIM error responses (RFC 7644, section 3.12)."""

import json

from django.http import HttpResponse
from django_scim import constants, exceptions


class ForbiddenError(exceptions.SCIMException):
    status = 403


class ThrottledError(exceptions.SCIMException):
    status = 429


def error_response(error, headers=None):
    """Return ``error`` as an ``application/scim+json`` response."""
    response = HttpResponse(
        json.dumps(error.to_dict()),
        content_type=constants.SCIM_CONTENT_TYPE,
        status=error.status,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response
