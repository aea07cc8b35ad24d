"""Deactivate leavers: end sessions, remove every grant, keep their records."""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from guardian.models import UserObjectPermission

from ..api.models import ApiKey
from ..audit.context import attribution
from ..audit.services import record_event
from .sessions import end_user_sessions

logger = logging.getLogger(__name__)


def deactivate_user(user, *, actor=None, system_actor="", reason=""):
    """Deactivate ``user`` and revoke all access; return False if already inactive.

    The account row, its history and everything the user wrote stay in place,
    so approvals and acknowledgements keep naming them.
    """
    if not actor and not system_actor:
        raise ValueError("Name who deactivates the user: pass actor or system_actor.")
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            return False
        locked.is_active = False
        locked._policyhub_deactivated_by = actor
        locked._policyhub_system_actor = system_actor
        locked._policyhub_reason = reason
        # post_save sees the change and calls revoke_access.
        locked.save(update_fields=["is_active"])
    user.is_active = False
    return True


@transaction.atomic
def revoke_access(user, *, actor=None, system_actor="", reason=""):
    """Remove groups, direct and object permissions, API keys and sessions of ``user``.

    Records one ``account.access_revoked`` event with the reason and what was
    removed; the audit app records each removed grant as well. Runs inside the
    caller's transaction, and the sessions end once it commits.
    """
    group_names = sorted(user.groups.values_list("name", flat=True))
    direct_permissions = user.user_permissions.count()
    object_permissions, _ = UserObjectPermission.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    who = {"actor": actor, "system_actor": system_actor}
    if not actor and not system_actor:
        who = attribution()
    revoked_keys = _revoke_api_keys(user, who.get("actor"))
    record_event(
        "account.access_revoked", obj=user, **who,
        detail={
            "reason": reason[:500],
            "groups_removed": group_names,
            "direct_permissions_removed": direct_permissions,
            "object_permissions_removed": object_permissions,
            "api_keys_revoked": revoked_keys,
        },
    )
    transaction.on_commit(lambda: end_user_sessions(user))
    logger.info("Deactivated user %s and revoked their access", user.pk)


def _revoke_api_keys(user, actor):
    """Revoke every unrevoked API key of ``user``; return their prefixes.

    Keys of an inactive user already fail authentication; revoking them as
    well keeps a later reactivation from bringing them back.
    """
    now = timezone.now()
    prefixes = []
    for key in ApiKey.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
        key.revoked_at = now
        key.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
        key._change_reason = "user deactivated"
        key.save(update_fields=["revoked_at", "revoked_by"])
        prefixes.append(key.prefix)
    return prefixes
