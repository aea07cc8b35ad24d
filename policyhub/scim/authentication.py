"""Bearer authentication for SCIM: an API key holding the ``scim`` scope.

The session cookie is never consulted, so a signed-in browser cannot call
SCIM. Failures count against the client address like other API key
failures, and each key has its own request rate.
"""

import math

from django.conf import settings
from django_scim.exceptions import AuthorizationError

from ..api.keys import find_key, mark_used
from ..api.scopes import SCIM
from ..api.throttling import AuthFailureThrottle, _SettingsRateThrottle
from ..audit.models import Outcome
from ..audit.services import record_event
from .errors import ForbiddenError, ThrottledError, error_response

PROVISION_PERMISSION = "scim.provision_users"
MAX_HEADER_LENGTH = 200


class ScimKeyThrottle(_SettingsRateThrottle):
    """Requests per SCIM key, at the ``scim`` rate of DEFAULT_THROTTLE_RATES."""

    scope = "scim"

    def get_cache_key(self, request, view):
        return f"throttle_scim_key:{request.scim_key.pk}"


def _bearer_token(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


class ScimBearerAuthentication:
    """Wrap a SCIM view: authenticate the key, check scope and rate, then call it.

    django-scim2 applies this class to every SCIM view's ``dispatch``
    (its AUTH_CHECK_MIDDLEWARE setting).
    """

    def __init__(self, view):
        self.view = view

    def __call__(self, request, *args, **kwargs):
        failure = self._authenticate(request)
        if failure is not None:
            return failure
        return self.view(request, *args, **kwargs)

    def _authenticate(self, request):
        failures = AuthFailureThrottle()
        if failures.is_blocked(request):
            return self._throttled(failures.wait())
        token = _bearer_token(request)
        if token is None:
            return self._unauthorised(request, failures, "missing")
        key = find_key(token) if len(token) <= MAX_HEADER_LENGTH else None
        if key is None:
            return self._unauthorised(request, failures, "invalid")
        request.user = key.user
        request.scim_key = key
        request.api_key_prefix = key.prefix
        if SCIM not in key.scopes:
            return self._forbidden(request, f"The API key {key.prefix} lacks the scim scope.")
        if not key.user.has_perm(PROVISION_PERMISSION):
            return self._forbidden(
                request,
                f"The user of API key {key.prefix} lacks the permission "
                f"{PROVISION_PERMISSION}; grant it through the Compliance Admins role.",
            )
        rate = ScimKeyThrottle()
        if not rate.allow_request(request, None):
            return self._throttled(rate.wait())
        mark_used(key, request=request)
        return None

    def _unauthorised(self, request, failures, reason):
        failures.record_failure(request)
        record_event(
            "scim.authentication_failed",
            outcome=Outcome.DENIED,
            request=request,
            detail={"reason": reason},
        )
        error = AuthorizationError(
            "Send an API key with the scim scope as 'Authorization: Bearer <key>'; "
            "the key presented is missing, invalid, expired or revoked."
        )
        return error_response(
            error, {"WWW-Authenticate": settings.SCIM_SERVICE_PROVIDER["WWW_AUTHENTICATE_HEADER"]}
        )

    def _forbidden(self, request, detail):
        record_event(
            "scim.access_denied",
            actor=request.user,
            outcome=Outcome.DENIED,
            request=request,
            detail={"reason": detail},
        )
        return error_response(ForbiddenError(detail))

    def _throttled(self, wait):
        seconds = max(1, math.ceil(wait or 1))
        error = ThrottledError(f"Too many SCIM requests; retry after {seconds} seconds.")
        return error_response(error, {"Retry-After": str(seconds)})
