"""Checks on a procedure's numbered steps, shared by the page model and importer."""

from .models.pages import EvidenceKind


def validate_steps(steps):
    """Return a list of problems with ``steps`` (dicts with number and evidence)."""
    if not steps:
        return ["A procedure needs at least one step."]
    problems = []
    seen = set()
    for step in steps:
        number = step.get("number")
        if number in seen:
            problems.append(f"Step number {number} is used twice; number each step once.")
        seen.add(number)
        if step.get("evidence") not in EvidenceKind.values:
            problems.append(
                f"Step {number}: evidence {step.get('evidence')!r} is not an evidence "
                f"kind; use one of {', '.join(EvidenceKind.values)}."
            )
    return problems
