"""The named account that background tasks act as in history records."""

from django.contrib.auth import get_user_model

SYSTEM_USERNAME = "system"


def system_user():
    """Return the inactive ``system`` user, creating it on first use.

    It cannot sign in (inactive, unusable password); simple-history rows
    written by tasks name it, so no change is recorded without an actor.
    """
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "email": "system@policyhub.invalid",
            "first_name": "PolicyHub",
            "last_name": "system",
            "is_active": False,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
