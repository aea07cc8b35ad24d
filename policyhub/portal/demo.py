"""Demo accounts and the seed library's first approval, for ``setup_demo``."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from ..accounts import roles
from ..policies.models import PolicyPage
from ..policies.workflow import act_on_current_step, submit_for_approval

DEMO_DOMAIN = "demo.policyhub.test"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    role: str
    job_title: str


DEMO_ACCOUNTS = (
    DemoAccount(f"employee@{DEMO_DOMAIN}", "Erin", "Employee", roles.EMPLOYEES,
                "Relationship manager"),
    DemoAccount(f"author@{DEMO_DOMAIN}", "Carla", "Compliance", roles.COMPLIANCE_ADMINS,
                "Compliance officer"),
    DemoAccount(f"owner@{DEMO_DOMAIN}", "Oscar", "Owner", roles.POLICY_OWNERS,
                "Chief Information Security Officer"),
    DemoAccount(f"owner2@{DEMO_DOMAIN}", "Priya", "Owner", roles.POLICY_OWNERS,
                "Head of IT Operations"),
    DemoAccount(f"approver@{DEMO_DOMAIN}", "Amelia", "Approver", roles.APPROVERS,
                "Chief Risk Officer"),
    DemoAccount(f"auditor@{DEMO_DOMAIN}", "Aldo", "Auditor", roles.AUDITORS,
                "Internal auditor"),
    DemoAccount(f"cab@{DEMO_DOMAIN}", "Cora", "Board", "CAB",
                "Head of IT operations, change advisory board member"),
)


def demo_user(email):
    return get_user_model().objects.get(email=email)


@transaction.atomic
def create_demo_accounts(password):
    """Create or refresh one verified account per role; return them by role."""
    User = get_user_model()
    employees = Group.objects.get(name=roles.EMPLOYEES)
    accounts = {}
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=account.email,
            defaults={
                "username": account.email.split("@")[0],
                "first_name": account.first_name,
                "last_name": account.last_name,
                "job_title": account.job_title,
            },
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=account.role), employees)
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        accounts.setdefault(account.role, user)
    return accounts


def approve_pending_policies(accounts):
    """Carry each policy without a published version through both approval
    steps: submitted by the compliance author, reviewed by the owner, approved
    by the approver. Return the slugs published."""
    author = accounts[roles.COMPLIANCE_ADMINS]
    owner = accounts[roles.POLICY_OWNERS]
    approver = accounts[roles.APPROVERS]
    published = []
    for page in PolicyPage.objects.filter(live=False).order_by("title"):
        draft = page.get_latest_revision_as_object()
        with transaction.atomic():
            if not draft.workflow_in_progress:
                submit_for_approval(draft, author, "Initial version adopted from the seed library.")
            act_on_current_step(page, owner, "approve", "Content reviewed by the policy owner.")
            act_on_current_step(page, approver, "approve", "Approved by management.")
        published.append(page.slug)
    return published
