"""Personas and published policies shared by the test modules."""

import shutil
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from policyhub.accounts import roles
from policyhub.exports.certificates import create_self_signed_p12
from policyhub.policies.loader import import_policies
from policyhub.policies.models import PolicyPage
from policyhub.policies.workflow import act_on_current_step, submit_for_approval

REPO = Path(__file__).resolve().parent.parent
SEED_DIR = REPO / "policies_seed"
SHARED_INPUTS = REPO.parent / "shared" / "real-inputs"
PASSWORD = "Persona-Password-42!"


@pytest.fixture(scope="session", autouse=True)
def temporary_storage():
    """Remove the media and var folders the test settings created."""
    yield
    for folder in (settings.MEDIA_ROOT, settings.VAR_DIR):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def signing_certificate(temporary_storage):
    """Create the test signing certificate once per test run."""
    path = settings.POLICYHUB_SIGNING_P12
    if not path.exists():
        create_self_signed_p12(
            path, settings.POLICYHUB_SIGNING_PASSPHRASE, settings.POLICYHUB_ORGANISATION_NAME
        )
    return path


def make_user(name, *role_names):
    user = get_user_model().objects.create_user(
        username=name,
        email=f"{name}@example.test",
        password=PASSWORD,
        first_name=name.capitalize(),
        last_name="Persona",
    )
    for role in role_names:
        user.groups.add(Group.objects.get(name=role))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def personas(db):
    """One user per role, plus a second owner and approver and an outsider."""
    return {
        "author": make_user("author", roles.COMPLIANCE_ADMINS, roles.EMPLOYEES),
        "owner": make_user("owner", roles.POLICY_OWNERS, roles.EMPLOYEES),
        "owner2": make_user("owner2", roles.POLICY_OWNERS, roles.EMPLOYEES),
        "approver": make_user("approver", roles.APPROVERS, roles.EMPLOYEES),
        "approver2": make_user("approver2", roles.APPROVERS, roles.EMPLOYEES),
        "employee": make_user("employee", roles.EMPLOYEES),
        "auditor": make_user("auditor", roles.AUDITORS),
        "outsider": make_user("outsider"),
    }


@pytest.fixture
def seed_copy(tmp_path):
    """A writable copy of the seed library."""
    target = tmp_path / "seed"
    shutil.copytree(SEED_DIR, target)
    return target


def import_one(tmp_path, slug="access-control"):
    source = tmp_path / "one"
    source.mkdir(exist_ok=True)
    shutil.copy(SEED_DIR / f"{slug}.md", source / f"{slug}.md")
    import_policies(source)
    return PolicyPage.objects.get(slug=slug)


def approve(page, personas, summary="Initial version.", change_type=""):
    """Submit as the author, then approve as owner and approver."""
    draft = page.get_latest_revision_as_object()
    submit_for_approval(draft, personas["author"], summary, change_type)
    act_on_current_step(page, personas["owner"], "approve", "Reviewed.")
    act_on_current_step(page, personas["approver"], "approve", "Approved.")
    page.refresh_from_db()
    return page.current_version()


def edit_and_approve(page, personas, change_type, summary, extra_text):
    """Append text to the first section and carry the change through approval."""
    draft = page.get_latest_revision_as_object()
    blocks = [(block.block_type, dict(block.value)) for block in draft.body]
    blocks[0][1]["content"] += f"\n\n{extra_text}"
    draft.body = blocks
    draft.save_revision(user=personas["author"])
    return approve(page, personas, summary, change_type)


@pytest.fixture
def published_policy(personas, tmp_path):
    """The Access Control Policy imported and approved as version 1.0.

    The signed PDF is rendered on commit, which a test transaction never
    reaches, so tests that need the PDF ask for it explicitly.
    """
    page = import_one(tmp_path)
    version = approve(page, personas)
    return page, version
