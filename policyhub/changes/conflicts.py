"""Calendar checks: overlapping changes on the same system and blackouts."""

from dataclasses import dataclass, field

from django.db.models import Q

from .models import BlackoutPeriod, ChangeRequest
from .models.change import OCCUPYING


@dataclass
class Conflicts:
    overlapping_changes: list = field(default_factory=list)
    blackouts: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.overlapping_changes or self.blackouts)

    def summary(self):
        """Return one line per conflict, for the change record and messages."""
        lines = [
            f"Overlaps {other.reference} {other.title!r} ({other.get_state_display()}) "
            f"on {', '.join(sorted(s.name for s in other.systems.all()))}."
            for other in self.overlapping_changes
        ]
        lines += [f"Falls in the blackout period {period}." for period in self.blackouts]
        return "\n".join(lines)


def find_conflicts(change, system_ids=None):
    """Return the active changes sharing a system with ``change`` whose
    planned time overlaps it, and the blackout periods it falls in.

    A blackout without systems covers every system. ``system_ids`` defaults
    to the change's saved systems.
    """
    if system_ids is None:
        system_ids = list(change.systems.values_list("pk", flat=True))
    overlapping = (
        ChangeRequest.objects.filter(
            state__in=OCCUPYING,
            systems__in=system_ids,
            planned_start__lt=change.planned_end,
            planned_end__gt=change.planned_start,
        )
        .exclude(pk=change.pk)
        .distinct()
        .prefetch_related("systems")
        .order_by("planned_start")
    )
    blackouts = (
        BlackoutPeriod.objects.filter(
            starts_at__lt=change.planned_end, ends_at__gt=change.planned_start
        )
        .filter(Q(systems__isnull=True) | Q(systems__in=system_ids))
        .distinct()
        .order_by("starts_at")
    )
    return Conflicts(list(overlapping), list(blackouts))
