"""Add the exception register to evidence packs."""

from ..exports.evidence import period_bounds, register_section
from .models import PolicyException


def _exceptions_section(pack, writer, actor):
    start, end = period_bounds(pack)
    exceptions = (
        PolicyException.objects.filter(created_at__lt=end, end_date__gte=pack.period_start)
        .select_related("version__policy", "requester")
        .prefetch_related("decisions__decided_by")
        .order_by("pk")
    )
    if pack.policy_slugs:
        exceptions = exceptions.filter(version__policy__slug__in=pack.policy_slugs)
    writer.add_csv(
        "exceptions/exception-register.csv",
        ["id", "policy", "version", "statements", "state", "risk", "requester", "scope",
         "compensating_controls", "end_date", "decisions", "flagged_for_review"],
        (
            [e.pk, e.version.policy.slug, e.version.label, " ".join(e.statements), e.state,
             e.risk_level, str(e.requester), e.scope, e.compensating_controls,
             e.end_date.isoformat(),
             "; ".join(f"{d.get_role_display()}: {d.decided_by} "
                       f"{'approved' if d.approved else 'rejected'} {d.decided_at:%Y-%m-%d}"
                       for d in e.decisions.all()),
             e.flagged_for_review]
            for e in exceptions
        ),
    )


register = register_section("exceptions", "Exception register", _exceptions_section)
