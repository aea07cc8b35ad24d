"""Content Security Policy: strict on the portal, the least loose that the
Wagtail admin works with on /admin/."""

from csp.middleware import CSPMiddleware
from csp.utils import default_config
from django.conf import settings


class PolicyHubCSPMiddleware(CSPMiddleware):
    """Send the portal policy everywhere except the Wagtail admin, which gets
    ``POLICYHUB_ADMIN_CSP``."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and request.path.startswith("/admin/"):
            parts.config = default_config(settings.POLICYHUB_ADMIN_CSP)
        return parts
