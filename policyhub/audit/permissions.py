"""Who may read the audit trail and review logs.

Auditors and Compliance Admins read and export the trail; the Security Team
(created by this app's data migration) reads it and signs off log reviews.
The grants run after every migrate and are idempotent.
"""

from django.contrib.auth.models import Group, Permission

SECURITY_TEAM = "Security Team"
VIEW_PERMISSION = "audit.view_audit_trail"
SIGN_OFF_PERMISSION = "audit.sign_off_logreview"
ROLE_PERMISSIONS = {
    "Auditors": ["view_audit_trail"],
    "Compliance Admins": ["view_audit_trail"],
    SECURITY_TEAM: ["view_audit_trail", "sign_off_logreview"],
}


def grant_audit_permissions(**kwargs):
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(
            content_type__app_label="audit", codename__in=codenames
        )
        group.permissions.add(*permissions)


def is_security_team_member(user):
    return (
        user.is_authenticated and user.is_active and user.groups.filter(name=SECURITY_TEAM).exists()
    )
