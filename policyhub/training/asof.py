"""Reconstruct whose training was current on a past date.

A person's training in a module was current on a day when they had completed
it before the end of that day and that completion was still valid on the
day. The assignments come from their history, so a module cancelled or
assigned later does not rewrite the past. Every function runs a fixed number
of queries, whatever the number of people or modules.
"""

from dataclasses import dataclass, field

from .models import TrainingAssignment, TrainingCompletion, TrainingModulePage

CURRENT = "current"
EXPIRED = "expired"
NEVER_COMPLETED = "never completed"


@dataclass(frozen=True)
class PersonTraining:
    person: object
    status: str
    completed_at: object = None
    valid_until: object = None


@dataclass
class ModuleOnDate:
    module: TrainingModulePage
    rows: list = field(default_factory=list)

    def count(self, status):
        return sum(1 for row in self.rows if row.status == status)

    @property
    def current(self):
        return self.count(CURRENT)

    @property
    def expired(self):
        return self.count(EXPIRED)

    @property
    def never_completed(self):
        return self.count(NEVER_COMPLETED)

    @property
    def rate(self):
        return round(100 * self.current / len(self.rows)) if self.rows else 0


def training_on(day, cutoff, people, module_slug=None):
    """Return a ModuleOnDate for each module assigned to one of ``people`` on ``day``.

    ``cutoff`` is the first instant after ``day``; ``people`` are the users
    active then. Rows follow the order of ``people``.
    """
    person_ids = {person.pk: person for person in people}
    assigned = TrainingAssignment.history.as_of(cutoff).exclude(
        status=TrainingAssignment.Status.CANCELLED
    )
    pairs = {(row.user_id, row.module_id) for row in assigned if row.user_id in person_ids}
    modules = TrainingModulePage.objects.filter(pk__in={module_id for _, module_id in pairs})
    if module_slug:
        modules = modules.filter(slug=module_slug)
    latest = _latest_completions(cutoff)

    results = []
    for module in sorted(modules, key=lambda module: module.title):
        entry = ModuleOnDate(module=module)
        for person in people:
            if (person.pk, module.pk) in pairs:
                entry.rows.append(_status(person, latest.get((person.pk, module.pk)), day))
        results.append(entry)
    return results


def _latest_completions(cutoff):
    """Return {(user id, module id): (completed_at, valid_until)} of the last completion."""
    completions = TrainingCompletion.objects.filter(completed_at__lt=cutoff).values_list(
        "assignment__user_id", "assignment__module_id", "completed_at", "valid_until"
    )
    latest = {}
    for user_id, module_id, completed_at, valid_until in completions:
        key = (user_id, module_id)
        if key not in latest or completed_at > latest[key][0]:
            latest[key] = (completed_at, valid_until)
    return latest


def _status(person, completion, day):
    if completion is None:
        return PersonTraining(person, NEVER_COMPLETED)
    completed_at, valid_until = completion
    status = CURRENT if valid_until >= day else EXPIRED
    return PersonTraining(person, status, completed_at, valid_until)
