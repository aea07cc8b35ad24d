"""Rate limits per API key (or signed-in user) and per client address.

Counters live in the Django cache, which is Redis in production, so every
web process shares them. Rates come from REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES and are read on each request.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class _SettingsRateThrottle(SimpleRateThrottle):
    def __init__(self):
        # SimpleRateThrottle parses the rate in __init__; reading the settings
        # here (not at import) lets a deployment or a test change them.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class _ClientThrottle(_SettingsRateThrottle):
    """Count reads and writes separately; writes have the stricter rate."""

    read_scope = ""
    write_scope = ""

    def allow_request(self, request, view):
        self.scope = self.read_scope if request.method in SAFE_METHODS else self.write_scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def __init__(self):
        self.scope = self.read_scope
        super().__init__()


class KeyRateThrottle(_ClientThrottle):
    """Per API key, or per user for the portal's own session requests."""

    read_scope = "api_key_read"
    write_scope = "api_key_write"

    def get_cache_key(self, request, view):
        auth = request.auth
        if auth is not None and hasattr(auth, "prefix"):
            ident = f"key:{auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            return None  # Anonymous requests count only per address.
        return f"throttle_{self.scope}_{ident}"


class AddressRateThrottle(_ClientThrottle):
    """Per client address, whoever the caller is."""

    read_scope = "api_address_read"
    write_scope = "api_address_write"

    def get_cache_key(self, request, view):
        return f"throttle_{self.scope}_{self.get_ident(request)}"


class AuthFailureThrottle(_SettingsRateThrottle):
    """Failed API key authentications per client address."""

    scope = "api_auth_failure"

    def get_cache_key(self, request, view):
        return f"throttle_{self.scope}_{self.get_ident(request)}"

    def is_blocked(self, request):
        self.key = self.get_cache_key(request, None)
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]
        return len(self.history) >= self.num_requests

    def record_failure(self, request):
        self.is_blocked(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
