from django.core.cache import cache
from django.db.models import Q

from ..accounts import roles

# Seconds the dashboard link's visibility is cached per user, so ordinary
# pages do not pay a query for it; a new manager sees the link within this.
NAV_CACHE_SECONDS = 300


def campaigns(request):
    """Whether the reader sees the compliance dashboard link."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_see_compliance_dashboard": False}
    key = f"campaigns-nav:{user.pk}"
    visible = cache.get(key)
    if visible is None:
        from django.contrib.auth import get_user_model

        visible = get_user_model().objects.filter(
            Q(pk=user.pk, groups__name=roles.COMPLIANCE_ADMINS) | Q(manager_id=user.pk),
            is_active=True,
        ).exists()
        cache.set(key, visible, NAV_CACHE_SECONDS)
    return {"can_see_compliance_dashboard": visible}
