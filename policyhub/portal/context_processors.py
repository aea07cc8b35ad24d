from django.conf import settings


def portal(request):
    """Values every portal template uses: the organisation and the reader's roles."""
    user = getattr(request, "user", None)
    roles = []
    if user is not None and user.is_authenticated:
        roles = sorted(group.name for group in user.groups.all())
    return {
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "user_roles": roles,
        "can_use_admin": bool(user and user.is_authenticated and user.has_perm("wagtailadmin.access_admin")),
    }
