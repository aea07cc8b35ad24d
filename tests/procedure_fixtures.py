"""Published procedures and performers shared by the procedure test modules."""

import shutil

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from policyhub.accounts import roles
from policyhub.policies.models import PolicyPage
from policyhub.procedures.loader import import_library
from policyhub.procedures.models import EvidenceKind, ProcedurePage
from policyhub.procedures.roles import SECURITY_OPERATIONS

from .conftest import SEED_DIR, approve, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def copy_library(tmp_path, policies=("access-control",), procedures=("user-access-review",)):
    source = tmp_path / "library"
    (source / "procedures").mkdir(parents=True)
    for slug in policies:
        shutil.copy(SEED_DIR / f"{slug}.md", source / f"{slug}.md")
    for name in procedures:
        shutil.copy(SEED_DIR / "procedures" / f"{name}.md", source / "procedures" / f"{name}.md")
    return source


@pytest.fixture
def performers(personas):
    """Two Security Operations performers with a line manager, and a reviewer."""
    manager = make_user("manager", roles.EMPLOYEES)
    performer = make_user("performer", roles.EMPLOYEES, SECURITY_OPERATIONS)
    performer.manager = manager
    performer.save()
    colleague = make_user("colleague", roles.EMPLOYEES, SECURITY_OPERATIONS)
    return {**personas, "manager": manager, "performer": performer, "colleague": colleague}


@pytest.fixture
def procedure(performers, tmp_path):
    """The Access Control Policy and its quarterly access review, both at 1.0."""
    import_library(copy_library(tmp_path))
    approve(PolicyPage.objects.exact_type(PolicyPage).get(slug="access-control"), performers)
    page = ProcedurePage.objects.get(slug="user-access-review")
    approve(page, performers)
    page.refresh_from_db()
    return page


def evidence_for(step, name="evidence"):
    """Return keyword arguments that satisfy ``step``'s evidence requirement."""
    if step.evidence_kind == EvidenceKind.FILE:
        return {"kind": "file", "upload": SimpleUploadedFile(f"{name}.png", PNG)}
    if step.evidence_kind == EvidenceKind.NOTE:
        return {"kind": "note", "note": f"Reviewed {name}."}
    if step.evidence_kind == EvidenceKind.LINK:
        return {"kind": "link", "url": f"https://tickets.example.test/{name}"}
    if step.evidence_kind == EvidenceKind.CHECKBOX:
        return {"kind": "checkbox", "confirmed": True}
    return {}


def perform_all(run, user):
    from policyhub.procedures.services import complete_step

    for step in run.steps.order_by("number"):
        complete_step(run, step.number, user, **evidence_for(step, f"step{step.number}"))


def sign_off_group():
    return Group.objects.get(name=roles.POLICY_OWNERS)
