"""Roles of the change process, each a Django group created by a migration."""

CAB = "CAB"
EMERGENCY_CAB = "Emergency CAB"
# Groups that may see every change request, without object permissions.
OVERSIGHT_GROUPS = (CAB, EMERGENCY_CAB, "Auditors", "Compliance Admins")
# Groups whose members may raise change requests.
REQUESTER_GROUPS = ("Employees", CAB, EMERGENCY_CAB)


def group_names(user):
    """Return the names of ``user``'s groups, cached on the user object."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_change_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._change_group_names = cached
    return cached


def is_cab_member(user):
    return CAB in group_names(user)


def is_emergency_cab_member(user):
    return EMERGENCY_CAB in group_names(user)


def sees_all_changes(user):
    return user.is_superuser or bool(group_names(user) & set(OVERSIGHT_GROUPS))


def may_request_changes(user):
    return bool(group_names(user) & set(REQUESTER_GROUPS))
