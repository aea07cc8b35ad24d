"""Passwords that an administrator sets must be changed at the next sign-in.

A password counts as set by an administrator when it is saved in a web
request by someone other than the account's owner (Wagtail's user editor,
any other admin form, SCIM), or by ``manage.py changepassword``. Passwords
set in the owner's own request, through a reset link or by code outside a
request (imports, the demo setup) do not count.

The state lives in the append-only audit trail: the change is pending while
the newest password event of the account is
``account.password_set_by_administrator``. The owner's next change, reset or
set records a newer event and so clears it.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from ..audit.context import attribution
from ..audit.models import AuditEvent
from ..audit.services import record_event

SET_BY_ADMINISTRATOR = "account.password_set_by_administrator"  # noqa: S105 - an event name
OWNER_PASSWORD_EVENTS = (
    "account.password_changed",
    "account.password_reset",
    "account.password_set",
)
# Management commands that set another person's password.
ADMINISTRATOR_COMMANDS = frozenset({"command:changepassword"})


def _administrator(user):
    """Return record_event attribution when someone else sets ``user``'s password."""
    who = attribution()
    if "request" in who:
        actor = who["actor"]
        return who if actor is not None and actor.pk != user.pk else None
    return who if who["system_actor"] in ADMINISTRATOR_COMMANDS else None


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts-admin-set-password")
def on_user_saved(sender, instance, raw=False, **kwargs):
    # set_password() keeps the raw password in _password until save()
    # returns, so a pending value means this save stored a new password.
    if raw or getattr(instance, "_password", None) is None:
        return
    if not instance.has_usable_password():
        return
    who = _administrator(instance)
    if who is not None:
        record_event(SET_BY_ADMINISTRATOR, obj=instance, detail={"users": [instance.pk]}, **who)


def password_set_by_administrator(user):
    """Return whether ``user``'s current password was set by an administrator."""
    latest = (
        AuditEvent.objects.filter(
            object_type="accounts.user",
            object_id=str(user.pk),
            action__in=(SET_BY_ADMINISTRATOR, *OWNER_PASSWORD_EVENTS),
        )
        .order_by("-id")
        .values_list("action", flat=True)
        .first()
    )
    return latest == SET_BY_ADMINISTRATOR
