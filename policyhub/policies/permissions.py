"""Permissions each role group holds, granted after every migrate.

Permission rows only exist once ``post_migrate`` has run for their app, so the
grants run after each app's ``post_migrate`` and skip what does not exist yet;
the last app's signal completes them. Granting is idempotent.
"""

from django.contrib.auth.models import Group, Permission

from ..accounts.roles import APPROVERS, AUDITORS, COMPLIANCE_ADMINS, POLICY_OWNERS

ROLE_PERMISSIONS = {
    POLICY_OWNERS: ["wagtailadmin.access_admin"],
    APPROVERS: ["wagtailadmin.access_admin"],
    COMPLIANCE_ADMINS: [
        "wagtailadmin.access_admin",
        "policies.download_signed_pdf",
        "policy_exceptions.view_exception_register",
        "api.manage_api_keys",
        "api.view_acknowledgement_status",
        "api.deactivate_users",
        "scim.provision_users",
    ],
    AUDITORS: ["policies.download_signed_pdf", "policy_exceptions.view_exception_register"],
}
# Page permissions on the policy library. Nobody gets "publish_page": policies
# are published only by completing the approval workflow.
LIBRARY_PAGE_PERMISSIONS = {
    POLICY_OWNERS: ["add_page", "change_page"],
    COMPLIANCE_ADMINS: ["add_page", "change_page", "lock_page", "unlock_page"],
}


def _permission(dotted):
    app_label, codename = dotted.split(".")
    return Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()


def grant_role_permissions(**kwargs):
    from wagtail.models import GroupPagePermission

    from .models import PolicyIndexPage

    for role, permissions in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        found = [_permission(name) for name in permissions]
        group.permissions.add(*[permission for permission in found if permission])

    library = PolicyIndexPage.objects.first()
    if library is None:
        return
    for role, codenames in LIBRARY_PAGE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        for codename in codenames:
            permission = _permission(f"wagtailcore.{codename}")
            if permission is not None:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=library, permission=permission
                )
