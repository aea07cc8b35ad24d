"""Password age, read from the password history that the validators keep."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_password_validators.password_history.models import PasswordHistory


def password_changed_at(user):
    """Return when ``user`` last set a password.

    ``UniquePasswordsValidator`` adds a history row whenever a password is
    saved; an account older than the history falls back to its join date.
    """
    latest = (
        PasswordHistory.objects.filter(user_config__user=user)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return latest or user.date_joined


def password_expired(user, now=None):
    """Return whether ``user``'s password is older than PASSWORD_MAX_AGE_DAYS."""
    max_age = settings.PASSWORD_MAX_AGE_DAYS
    if not max_age or not user.has_usable_password():
        return False
    now = now or timezone.now()
    return password_changed_at(user) <= now - timedelta(days=max_age)


EXPIRED = "expired"
SET_BY_ADMINISTRATOR = "set_by_administrator"  # noqa: S105 - a reason code


def password_change_reason(user, now=None):
    """Return why ``user`` must change the password before anything else, or "".

    "set_by_administrator" when someone else set the current password,
    "expired" when it is older than PASSWORD_MAX_AGE_DAYS.
    """
    from .admin_passwords import password_set_by_administrator

    if not user.has_usable_password():
        return ""
    if password_set_by_administrator(user):
        return SET_BY_ADMINISTRATOR
    return EXPIRED if password_expired(user, now) else ""
