"""Route every admin sign-in through allauth and refuse the admin clearly.

Wagtail's own sign-in page would skip allauth's email verification and the
lockout counters, so it redirects to the portal sign-in. A signed-in user
without admin access gets a 403 page instead of a redirect loop between the
admin and the sign-in page.
"""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

ADMIN_PREFIX = "/admin/"
REPLACED_ADMIN_PAGES = {
    "/admin/login/": "account_login",
    "/admin/password_reset/": "account_reset_password",
}


class AdminAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith(ADMIN_PREFIX):
            replacement = next(
                (name for prefix, name in REPLACED_ADMIN_PAGES.items() if path.startswith(prefix)),
                None,
            )
            if replacement:
                target = reverse(replacement)
                if request.GET.get("next"):
                    target += "?" + urlencode({"next": request.GET["next"]})
                return redirect(target)
            user = request.user
            if user.is_authenticated and not user.has_perm("wagtailadmin.access_admin"):
                raise PermissionDenied("Your roles do not include access to the administration.")
        return self.get_response(request)
