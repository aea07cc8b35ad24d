"""Who may take each step of a change: the permission callables that the
django-fsm-2 transitions name, and the visibility rule for change requests.

Every callable takes ``(change, user)``. Board members act as change
managers, but never on a change they requested or implement.
"""

from guardian.shortcuts import get_objects_for_user

from . import roles

VIEW_PERMISSION = "changes.view_changerequest"
EDIT_PERMISSION = "changes.change_changerequest"


def is_requester(change, user):
    return user.is_active and change.requester_id == user.pk


def is_implementer(change, user):
    return user.is_active and change.implementer_id is not None and change.implementer_id == user.pk


def is_independent(change, user):
    """Whether ``user`` is neither the requester nor the implementer."""
    return user.pk not in (change.requester_id, change.implementer_id)


def is_change_manager(change, user):
    return (roles.is_cab_member(user) or roles.is_emergency_cab_member(user)) and is_independent(
        change, user
    )


def is_requester_or_change_manager(change, user):
    return is_requester(change, user) or is_change_manager(change, user)


def is_involved_or_change_manager(change, user):
    return (
        is_requester(change, user) or is_implementer(change, user) or is_change_manager(change, user)
    )


def is_board_decision(change, user):
    """No person approves or rejects directly: the vote count does."""
    return False


def visible_changes(user, queryset=None):
    """Return the change requests ``user`` may see.

    Board members, auditors and compliance admins see every change. Others
    see the changes on which django-guardian gives them the view permission,
    which requesters and implementers receive for their own changes.
    """
    from .models import ChangeRequest

    queryset = ChangeRequest.objects.all() if queryset is None else queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if roles.sees_all_changes(user):
        return queryset
    return get_objects_for_user(
        user, VIEW_PERMISSION, klass=queryset, accept_global_perms=True
    )


def can_edit(change, user):
    return change.is_editable and is_requester(change, user)
