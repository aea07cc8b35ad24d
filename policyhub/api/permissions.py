"""Least privilege for API views: the key's scopes and the user's permissions.

Every API view names ``required_scopes`` (a key must hold all of them;
``method_scopes`` may replace them for particular HTTP methods) and
``required_permissions`` (Django permissions the acting user must hold, an
empty tuple when any active user may call it). Object checks happen in each
view's queryset, filtered by the user who asks, so outsiders get 404.
"""

from rest_framework.permissions import BasePermission

from .models import ApiKey


def key_of(request):
    return request.auth if isinstance(request.auth, ApiKey) else None


class HasScopesAndPermissions(BasePermission):
    message = "This API key or user lacks the scope or permission this endpoint requires."

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        scopes = getattr(view, "method_scopes", {}).get(
            request.method, getattr(view, "required_scopes", None)
        )
        if scopes is None:
            self.message = "This endpoint declares no scope, so nobody may call it."
            return False
        key = key_of(request)
        if key is not None and not set(scopes) <= set(key.scopes):
            missing = sorted(set(scopes) - set(key.scopes))
            self.message = f"This API key lacks the scope {', '.join(missing)}."
            return False
        permissions = getattr(view, "required_permissions", ())
        if not user.has_perms(permissions):
            self.message = "The key's user lacks the permission this endpoint requires."
            return False
        return True
