"""Request, decide, end and flag policy exceptions.

Each action checks who may take it, runs in a transaction, records history
and an audit event, and queues its notifications after commit.
"""

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..accounts import roles
from ..attestations.system import system_user
from ..audit.services import record_event
from ..changes.risk import risk_level
from .models import Decision, PolicyException, State
from .statements import statements_of


def _notify(exception, event):
    from .tasks import notify_exception

    transaction.on_commit(lambda: notify_exception.delay(exception.pk, event))


def _audit(action, exception, actor=None, request=None, system_actor="", **detail):
    record_event(
        f"exception.{action}", actor=actor, obj=exception, request=request,
        system_actor=system_actor,
        detail={"policy": exception.version.policy.slug, "version": exception.version.label,
                "statements": exception.statements, "state": exception.state, **detail},
    )


def latest_end_date(today=None):
    today = today or timezone.localdate()
    return today + relativedelta(months=settings.EXCEPTIONS_MAX_MONTHS)


def validate_request(version, statement_ids, end_date, today=None):
    """Raise ValidationError naming each invalid value."""
    today = today or timezone.localdate()
    errors = {}
    current = version.policy.current_version()
    if current is None or current.pk != version.pk:
        errors["version"] = (
            f"Version {version.label} is superseded; request the exception against "
            f"version {current.label if current else '?'}."
        )
    known = statements_of(version)
    unknown = [sid for sid in statement_ids if sid not in known]
    if not statement_ids:
        errors["statements"] = "Name at least one numbered statement, e.g. AC-11."
    elif unknown:
        errors["statements"] = (
            f"{', '.join(unknown)} not found in {version.title} {version.label}; "
            f"use ids such as {', '.join(list(known)[:3])}."
        )
    if end_date <= today:
        errors["end_date"] = f"{end_date.isoformat()} is not in the future; choose a later end date."
    elif end_date > latest_end_date(today):
        errors["end_date"] = (
            f"{end_date:%Y-%m-%d} is more than {settings.EXCEPTIONS_MAX_MONTHS} months away; "
            f"choose {latest_end_date(today):%Y-%m-%d} or earlier, and renew later if needed."
        )
    if errors:
        raise ValidationError(errors)


def request_exception(user, version, *, token, statements, scope, business_reason, impact,
                      likelihood, compensating_controls, end_date, renews=None, request=None):
    """Create an exception request; a repeated token returns the existing one."""
    statements = sorted({sid.strip().upper() for sid in statements if sid.strip()})
    validate_request(version, statements, end_date)
    if renews is not None and (
        renews.version.policy_id != version.policy_id or renews.state != State.APPROVED
    ):
        raise ValidationError({"renews": "Only an approved exception to this policy can be renewed."})
    try:
        with transaction.atomic():
            exception = PolicyException.objects.create(
                version=version, statements=statements, scope=scope,
                business_reason=business_reason, impact=impact, likelihood=likelihood,
                risk_level=risk_level(impact, likelihood),
                compensating_controls=compensating_controls, end_date=end_date,
                requester=user, renews=renews, request_token=token,
            )
            _audit("requested", exception, actor=user, request=request,
                   risk=exception.risk_level, renews=renews.pk if renews else None)
    except IntegrityError:
        return PolicyException.objects.get(request_token=token, requester=user), False
    _notify(exception, "submitted")
    return exception, True


def roles_user_may_decide(exception, user):
    """Return the decision roles still open that ``user`` may fill."""
    if not user.is_active or user.pk == exception.requester_id or exception.state != State.SUBMITTED:
        return []
    decided = {d.role: d for d in exception.decisions.all()}
    if any(d.decided_by_id == user.pk for d in decided.values()):
        return []  # one person never fills two roles of the same approval
    open_roles = []
    group_ids = set(user.groups.values_list("pk", flat=True))
    if Decision.Role.APPROVER not in decided and exception.version.policy.approver_group_id in group_ids:
        open_roles.append(Decision.Role.APPROVER)
    if (
        exception.needs_risk_owner
        and Decision.Role.RISK_OWNER not in decided
        and user.groups.filter(name=settings.EXCEPTIONS_RISK_OWNER_GROUP).exists()
    ):
        open_roles.append(Decision.Role.RISK_OWNER)
    return open_roles


def decide(exception, user, role, approved, comment="", request=None):
    """Record ``user``'s decision in ``role``; approve once all roles approved."""
    with transaction.atomic():
        exception = PolicyException.objects.select_for_update().get(pk=exception.pk)
        if role not in roles_user_may_decide(exception, user):
            raise PermissionDenied(
                f"You cannot decide exception {exception.pk} as {role}: deciders must "
                "belong to the role's group and must not be the requester or another decider."
            )
        if not approved and not comment.strip():
            raise ValidationError({"comment": "Give the reason for the rejection."})
        Decision.objects.create(
            exception=exception, role=role, decided_by=user, approved=approved, comment=comment
        )
        if not approved:
            exception.reject()
            exception.decision_reason = comment
        else:
            needed = {Decision.Role.APPROVER}
            if exception.needs_risk_owner:
                needed.add(Decision.Role.RISK_OWNER)
            approvals = set(
                exception.decisions.filter(approved=True).values_list("role", flat=True)
            )
            if needed <= approvals:
                exception.approve()
        if exception.state != State.SUBMITTED:
            exception.decided_at = timezone.now()
        exception._history_user = user
        exception.save()
        _audit("decided", exception, actor=user, request=request, role=role, approved=approved)
    if exception.state != State.SUBMITTED:
        _notify(exception, exception.state)
    return exception


def withdraw(exception, user, request=None):
    if user.pk != exception.requester_id:
        raise PermissionDenied("Only the requester can withdraw an exception request.")
    with transaction.atomic():
        exception = PolicyException.objects.select_for_update().get(pk=exception.pk)
        if exception.state != State.SUBMITTED:
            raise ValidationError(f"Exception {exception.pk} is {exception.get_state_display().lower()}; only a pending request can be withdrawn.")
        exception.withdraw()
        exception._history_user = user
        exception.save()
        _audit("withdrawn", exception, actor=user, request=request)
    return exception


def revoke(exception, user, reason, request=None):
    if not roles.user_has_role(user, roles.COMPLIANCE_ADMINS):
        raise PermissionDenied("Only compliance admins revoke exceptions.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for revoking the exception."})
    with transaction.atomic():
        exception = PolicyException.objects.select_for_update().get(pk=exception.pk)
        if exception.state != State.APPROVED:
            raise ValidationError(f"Exception {exception.pk} is not in force, so it cannot be revoked.")
        exception.revoke()
        exception.decision_reason = reason
        exception._history_user = user
        exception.save()
        _audit("revoked", exception, actor=user, request=request)
    _notify(exception, "revoked")
    return exception


def expire_due(today=None, actor="task:expire_exceptions"):
    """Expire approved exceptions whose end date has passed; return how many."""
    today = today or timezone.localdate()
    system = system_user()
    count = 0
    due = PolicyException.objects.filter(state=State.APPROVED, end_date__lt=today).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            exception = PolicyException.objects.select_for_update().get(pk=pk)
            if exception.state != State.APPROVED:
                continue
            exception.expire()
            exception._history_user = system
            exception.save()
            _audit("expired", exception, system_actor=actor)
        _notify(exception, "expired")
        count += 1
    return count


def flag_changed_statements(new_version):
    """Flag approved exceptions to earlier versions when a major version
    changes or removes a statement they refer to."""
    if new_version.change_type != "major":
        return 0
    new_statements = statements_of(new_version)
    system = system_user()
    flagged = 0
    candidates = PolicyException.objects.filter(
        version__policy_id=new_version.policy_id, state__in=[State.APPROVED, State.SUBMITTED]
    ).exclude(version=new_version).select_related("version")
    for exception in candidates:
        old_statements = statements_of(exception.version)
        changed = [
            sid for sid in exception.statements
            if _body(old_statements.get(sid)) != _body(new_statements.get(sid))
        ]
        if not changed:
            continue
        exception.flagged_for_review = True
        exception.flag_reason = (
            f"Version {new_version.label} changed or removed {', '.join(changed)}; "
            "review whether the exception still applies."
        )[:500]
        exception._history_user = system
        exception.save(update_fields=["flagged_for_review", "flag_reason"])
        _audit("flagged", exception, system_actor="receiver:new_major_version", changed=changed,
               new_version=new_version.label)
        flagged += 1
    return flagged


def _body(text):
    """Statement text without its id, so renumbered lists compare by content."""
    if text is None:
        return None
    return text.split(" ", 1)[1] if " " in text else ""


def visible_to(user):
    """Return the exceptions ``user`` may see: their own, those they decide,
    and all of them for register viewers."""
    queryset = PolicyException.objects.select_related("version__policy", "requester")
    if user.has_perm("policy_exceptions.view_exception_register"):
        return queryset
    groups = list(user.groups.values_list("pk", flat=True))
    risk_owner = user.groups.filter(name=settings.EXCEPTIONS_RISK_OWNER_GROUP).exists()
    condition = Q(requester=user) | Q(version__policy__approver_group_id__in=groups)
    if risk_owner:
        condition |= Q(risk_level__in=settings.EXCEPTIONS_RISK_OWNER_LEVELS)
    return queryset.filter(condition)


def in_force(on_date=None, policy=None):
    """Return the exceptions approved and not yet ended on ``on_date``.

    Reads the history so that exceptions revoked or expired since still count
    when they were in force on that day.
    """
    on_date = on_date or timezone.localdate()
    import datetime

    cutoff = timezone.make_aware(datetime.datetime.combine(on_date + datetime.timedelta(days=1), datetime.time.min))
    historical = PolicyException.history.as_of(cutoff)
    results = [
        exception for exception in historical
        if exception.state == State.APPROVED and exception.end_date >= on_date
    ]
    if policy is not None:
        results = [e for e in results if e.version.policy_id == policy.pk]
    return results
