"""The portal's roles, each a Django group created by a migration."""

EMPLOYEES = "Employees"
POLICY_OWNERS = "Policy Owners"
APPROVERS = "Approvers"
AUDITORS = "Auditors"
COMPLIANCE_ADMINS = "Compliance Admins"

ALL_ROLES = (EMPLOYEES, POLICY_OWNERS, APPROVERS, AUDITORS, COMPLIANCE_ADMINS)


def user_has_role(user, role):
    """Return whether ``user`` is an active member of the group ``role``."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.groups.filter(name=role).exists()
