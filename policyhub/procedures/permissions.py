"""Who may see and act on procedure runs.

Runs are looked up through ``visible_runs(user)``, so a run someone may not
see is "not found" (404) for them rather than "forbidden".
"""

from django.db.models import Q

from ..accounts import roles
from .models import ProcedureRun


def _active(user):
    return user.is_authenticated and user.is_active


def is_compliance_admin(user):
    return roles.user_has_role(user, roles.COMPLIANCE_ADMINS)


def performs(user, procedure):
    """Return whether ``user`` belongs to one of the procedure's performing roles."""
    if not _active(user):
        return False
    return procedure.performer_groups.filter(pk__in=user.groups.values("pk")).exists()


def can_start_run(user, procedure):
    return is_compliance_admin(user) or performs(user, procedure)


def can_perform(user, run):
    """Assignee, a member of a performing role, or a compliance admin."""
    if not _active(user):
        return False
    return run.assignee_id == user.pk or can_start_run(user, run.procedure)


def visible_runs(user):
    """Return the runs ``user`` may see."""
    runs = ProcedureRun.objects.all()
    if not _active(user):
        return runs.none()
    if user.groups.filter(name__in=(roles.COMPLIANCE_ADMINS, roles.AUDITORS)).exists():
        return runs
    group_ids = user.groups.values("pk")
    return runs.filter(
        Q(assignee=user)
        | Q(procedure__performer_groups__in=group_ids)
        | Q(sign_off_group__in=group_ids)
        | Q(created_by=user)
        | Q(assignee__manager=user)
        | Q(started_by__manager=user)
    ).distinct()
