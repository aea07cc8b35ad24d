"""``Authorization: Api-Key ph_xxxxxxxx.<secret>`` authentication for DRF."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from ..audit.models import Outcome
from ..audit.services import record_event
from .keys import find_key, mark_used
from .throttling import AuthFailureThrottle

KEYWORD = "Api-Key"
MAX_HEADER_LENGTH = 200


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticate as the key's user and attach the key as ``request.auth``.

    Revoked and expired keys, keys of deactivated users and malformed headers
    get 401. Each failure counts against the client address, and an address
    over the failure rate gets 429 before its key is even checked.
    """

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() != KEYWORD.lower():
            return None
        throttle = AuthFailureThrottle()
        if throttle.is_blocked(request):
            raise exceptions.Throttled(wait=throttle.wait())
        if len(header) != 2 or len(header[1]) > MAX_HEADER_LENGTH:
            self._fail(request, throttle, "malformed")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            self._fail(request, throttle, "malformed")
        key = find_key(token)
        if key is None:
            self._fail(request, throttle, "invalid")
        mark_used(key, request=request._request)
        # Audit events recorded for this request name the key by its prefix.
        request._request.api_key_prefix = key.prefix
        return key.user, key

    def authenticate_header(self, request):
        return KEYWORD

    def _fail(self, request, throttle, reason):
        throttle.record_failure(request)
        record_event(
            "api.authentication_failed",
            outcome=Outcome.DENIED,
            request=request._request,
            detail={"reason": reason},
        )
        raise exceptions.AuthenticationFailed(
            "The API key is invalid, expired or revoked, or its user is deactivated."
        )
