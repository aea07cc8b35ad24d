"""The statement an approver affirms, recorded with each approval."""


def affirmation_text(page):
    """Return "I approve version X.Y of <title>" for the revision under review."""
    from ..policies.versioning import next_version_number

    previous = page.versions.order_by("-major", "-minor").first()
    change_type = page.change_type if previous is not None else ""
    major, minor = next_version_number(previous, change_type)
    return f"I approve version {major}.{minor} of {page.title}."


def with_affirmation(page, comment):
    """Return ``comment`` preceded by the affirmation for ``page``."""
    statement = affirmation_text(page)
    comment = (comment or "").strip()
    return f"{statement}\n{comment}" if comment else statement
