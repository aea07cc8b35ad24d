"""Audit events for changes of who may do what, and of accounts.

Covers group membership, model and object permissions, grants of admin
rights (superuser, staff and Wagtail's ``wagtailadmin.access_admin``), account
deactivation, password changes and resets, and MFA authenticators. Each event
lists the affected user ids in ``detail["users"]`` so the log review can tell
who was the subject of a grant.
"""

from allauth.account.signals import password_changed, password_reset, password_set
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from .context import attribution
from .services import record_event

ADMIN_PERMISSIONS = frozenset({"wagtailadmin.access_admin"})
ADMIN_FLAGS = ("is_superuser", "is_staff")
User = get_user_model()


def _dotted(permission):
    return f"{permission.content_type.app_label}.{permission.codename}"


def _group_confers_admin(group):
    return group.permissions.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).exists()


# --- Group membership -------------------------------------------------------


def _membership_pairs(instance, reverse, pk_set):
    """Return (users, groups) touched by one change of ``User.groups``."""
    if reverse:
        return list(User.objects.filter(pk__in=pk_set)), [instance]
    return [instance], list(Group.objects.filter(pk__in=pk_set))


@receiver(m2m_changed, sender=User.groups.through)
def on_group_membership_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":
        related = instance.user_set if reverse else instance.groups
        instance._audit_cleared_pks = set(related.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set, action = getattr(instance, "_audit_cleared_pks", set()), "post_remove"
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    users, groups = _membership_pairs(instance, reverse, pk_set)
    added = action == "post_add"
    admin_groups = [group.name for group in groups if _group_confers_admin(group)]
    detail = {
        "users": [user.pk for user in users],
        "groups": sorted(group.name for group in groups),
    }
    record_event(
        "access.group_added" if added else "access.group_removed",
        obj=instance,
        detail=detail,
        **attribution(),
    )
    if admin_groups:
        record_event(
            "access.admin_granted" if added else "access.admin_revoked",
            obj=instance,
            detail={**detail, "via": "group", "groups": admin_groups},
            **attribution(),
        )


# --- Model permissions of groups and users ----------------------------------


def _permission_change(instance, action, reverse, pk_set, holder_key):
    if action == "pre_clear":
        if reverse:
            related = instance.group_set if holder_key == "groups" else instance.user_set
        elif holder_key == "groups":
            related = instance.permissions
        else:
            related = instance.user_permissions
        instance._audit_cleared_pks = set(related.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set, action = getattr(instance, "_audit_cleared_pks", set()), "post_remove"
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    holder_model = Group if holder_key == "groups" else User
    if reverse:
        permissions = [instance]
        holders = list(holder_model.objects.filter(pk__in=pk_set))
    else:
        permissions = list(Permission.objects.filter(pk__in=pk_set).select_related("content_type"))
        holders = [instance]
    names = sorted(_dotted(permission) for permission in permissions)
    added = action == "post_add"
    detail = {"permissions": names, holder_key: [holder.pk for holder in holders]}
    if holder_key == "groups":
        detail["users"] = sorted(
            User.objects.filter(groups__in=holders).values_list("pk", flat=True).distinct()
        )
    record_event(
        "access.permission_added" if added else "access.permission_removed",
        obj=instance,
        detail=detail,
        **attribution(),
    )
    if ADMIN_PERMISSIONS.intersection(names):
        record_event(
            "access.admin_granted" if added else "access.admin_revoked",
            obj=instance,
            detail={**detail, "via": "permission"},
            **attribution(),
        )


@receiver(m2m_changed, sender=Group.permissions.through)
def on_group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    _permission_change(instance, action, reverse, pk_set, "groups")


@receiver(m2m_changed, sender=User.user_permissions.through)
def on_user_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    _permission_change(instance, action, reverse, pk_set, "users")


# --- Object permissions (django-guardian) -----------------------------------


def _object_permission_detail(row):
    detail = {
        "permission": _dotted(row.permission),
        "object_type": f"{row.content_type.app_label}.{row.content_type.model}",
        "object_id": str(row.object_pk),
    }
    if hasattr(row, "user_id"):
        detail["users"] = [row.user_id]
    else:
        detail["groups"] = [row.group_id]
    return detail


def _connect_object_permissions():
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    for model in {get_user_obj_perms_model(), get_group_obj_perms_model()}:
        post_save.connect(
            _on_object_permission_saved,
            sender=model,
            dispatch_uid=f"audit-{model}-save",
        )
        post_delete.connect(
            _on_object_permission_deleted,
            sender=model,
            dispatch_uid=f"audit-{model}-del",
        )


def _on_object_permission_saved(sender, instance, created, **kwargs):
    if created:
        record_event(
            "access.object_permission_added",
            obj=instance,
            detail=_object_permission_detail(instance),
            **attribution(),
        )


def _on_object_permission_deleted(sender, instance, **kwargs):
    record_event(
        "access.object_permission_removed",
        obj=instance,
        detail=_object_permission_detail(instance),
        **attribution(),
    )


# --- Account flags: admin rights and deactivation ---------------------------

TRACKED_USER_FIELDS = (*ADMIN_FLAGS, "is_active")


@receiver(pre_save, sender=User)
def remember_user_flags(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance._state.adding or instance.pk is None:
        instance._audit_previous_flags = {}
        return
    if update_fields is not None and not set(update_fields) & set(TRACKED_USER_FIELDS):
        instance._audit_previous_flags = None
        return
    instance._audit_previous_flags = (
        User.objects.filter(pk=instance.pk).values(*TRACKED_USER_FIELDS).first() or {}
    )


@receiver(post_save, sender=User)
def on_user_flags_saved(sender, instance, created, raw=False, **kwargs):
    previous = getattr(instance, "_audit_previous_flags", None)
    if raw or previous is None:
        return
    if created:
        # A new account is no deactivation, but a new superuser is a grant.
        previous = {
            "is_superuser": False,
            "is_staff": False,
            "is_active": instance.is_active,
        }
    for flag in ADMIN_FLAGS:
        was, now = previous.get(flag, False), getattr(instance, flag)
        if was != now:
            record_event(
                "access.admin_granted" if now else "access.admin_revoked",
                obj=instance,
                detail={"users": [instance.pk], "via": flag},
                **attribution(),
            )
    was_active = previous.get("is_active", True)
    if was_active != instance.is_active:
        record_event(
            "account.reactivated" if instance.is_active else "account.deactivated",
            obj=instance,
            detail={"users": [instance.pk]},
            **attribution(),
        )


# --- Passwords and MFA ------------------------------------------------------


def _account_event(action):
    def handler(sender, request, user, **kwargs):
        record_event(action, actor=user, obj=user, request=request, detail={"users": [user.pk]})

    return handler


on_password_changed = _account_event("account.password_changed")
on_password_reset = _account_event("account.password_reset")
on_password_set = _account_event("account.password_set")
password_changed.connect(on_password_changed, dispatch_uid="audit-password-changed")
password_reset.connect(on_password_reset, dispatch_uid="audit-password-reset")
password_set.connect(on_password_set, dispatch_uid="audit-password-set")


def _authenticator_event(action):
    def handler(sender, request, user, authenticator, **kwargs):
        record_event(
            action,
            actor=user if user.is_authenticated else None,
            obj=user,
            request=request,
            detail={"users": [user.pk], "authenticator": authenticator.type},
        )

    return handler


on_authenticator_added = _authenticator_event("mfa.authenticator_added")
on_authenticator_removed = _authenticator_event("mfa.authenticator_removed")
on_authenticator_reset = _authenticator_event("mfa.authenticator_reset")


def connect_optional_receivers():
    """Connect receivers for apps that a deployment may leave out."""
    _connect_object_permissions()
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa import signals as mfa_signals

        mfa_signals.authenticator_added.connect(
            on_authenticator_added, dispatch_uid="audit-mfa-added"
        )
        mfa_signals.authenticator_removed.connect(
            on_authenticator_removed, dispatch_uid="audit-mfa-removed"
        )
        mfa_signals.authenticator_reset.connect(
            on_authenticator_reset, dispatch_uid="audit-mfa-reset"
        )
