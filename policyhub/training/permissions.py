"""Permission checks for seeing and managing training records."""

from django.core.exceptions import PermissionDenied

from ..accounts import roles


def is_compliance_admin(user):
    return roles.user_has_role(user, roles.COMPLIANCE_ADMINS)


def require_compliance_admin(user, action):
    """Raise PermissionDenied naming ``action`` unless ``user`` is a
    compliance administrator."""
    if not is_compliance_admin(user):
        raise PermissionDenied(f"Only compliance administrators can {action}.")


def can_manage(user, assignment):
    """Return whether ``user`` may extend ``assignment``: a compliance admin
    or the assignee's line manager."""
    if is_compliance_admin(user):
        return True
    return user.is_authenticated and assignment.user.manager_id == user.pk


# Page permissions on the training index: compliance administrators write and
# publish modules. Modules sit outside the policy library, so no approval
# workflow applies to them.
TRAINING_PAGE_PERMISSIONS = {
    roles.COMPLIANCE_ADMINS: ["add_page", "change_page", "publish_page", "lock_page",
                              "unlock_page"],
}


def grant_training_page_permissions(**kwargs):
    """Grant the training index's page permissions; safe to run after every migrate."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission

    from .models import TrainingIndexPage

    index = TrainingIndexPage.objects.first()
    if index is None:
        return
    for role, codenames in TRAINING_PAGE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for codename in codenames:
            permission = Permission.objects.filter(
                content_type__app_label="wagtailcore", codename=codename
            ).first()
            if permission is not None:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=index, permission=permission
                )
