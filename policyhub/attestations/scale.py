"""A deterministic synthetic organisation at bank scale, for benchmarks and demos.

Rows are inserted with ``bulk_create`` in large batches. Models with
simple-history (users, campaigns, assignments) go through simple-history's
``bulk_create_with_history``, so every generated row has a history row
attributed to the ``system`` user.

NOTE: 100,000 people took 18 minutes on 2 shared cores (docs/benchmarks.md),
mostly in the history inserts. PostgreSQL COPY would be faster but would
bypass simple-history's helpers.
"""

import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from ..accounts import roles
from ..policies.loader import import_policies
from ..policies.models import PolicyPage
from ..policies.workflow import act_on_current_step, submit_for_approval
from .models import Acknowledgement, Assignment, Audience, Campaign
from .system import system_user

USERNAME_PREFIX = "scale-"
EMAIL_DOMAIN = "scale.policyhub.test"
DEPARTMENTS = (
    "Retail Banking", "Corporate Banking", "Treasury", "Markets", "Payments", "Cards",
    "Mortgages", "Wealth Management", "Risk", "Compliance", "Finance", "Internal Audit",
    "Legal", "Human Resources", "IT Operations", "Software Engineering",
    "Information Security", "Data Office", "Procurement", "Facilities", "Customer Service",
    "Collections", "Trade Finance", "Operations", "Marketing",
)
EXTRA_GROUPS = ("Branch staff", "Trading floor", "Contractors")
TEAM_SIZE = 12
FIRST_NAMES = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie",
               "Robin", "Charlie", "Avery", "Quinn", "Drew", "Kim", "Lee", "Noor")
LAST_NAMES = ("Smith", "Jones", "Brown", "Garcia", "Müller", "Rossi", "Kowalski", "Silva",
              "Nakamura", "Okafor", "Novak", "Dubois", "Larsen", "Haddad", "Singh", "Chen")


class ScaleGenerator:
    """Build the organisation; ``run`` returns counts of what it created."""

    def __init__(self, users, seed, acknowledged, batch_size, seed_dir, log=print):
        self.started = time.monotonic()
        self.users = users
        self.random = random.Random(seed)
        self.acknowledged = acknowledged
        self.batch_size = batch_size
        self.seed_dir = seed_dir
        self._log = log
        self.actor = None

    def log(self, message):
        self._log(f"[{time.monotonic() - self.started:7.1f} s] {message}")

    def run(self):
        User = get_user_model()
        if User.objects.filter(username__startswith=USERNAME_PREFIX).exists():
            raise ValueError(
                "This database already holds a generated organisation; run the "
                "command on a fresh database (migrate an empty one first)."
            )
        self.actor = system_user()
        versions = self.publish_policies()
        user_ids, departments = self.create_people()
        self.add_groups(user_ids)
        assignments, acks = self.create_campaigns(versions, user_ids)
        return {
            "users": len(user_ids),
            "departments": len(departments),
            "campaigns": len(versions),
            "assignments": assignments,
            "acknowledgements": acks,
        }

    def publish_policies(self):
        """Import the seed policies and publish each as version 1.0."""
        import_policies(self.seed_dir)
        author = self._staff("author", roles.COMPLIANCE_ADMINS)
        owner = self._staff("owner", roles.POLICY_OWNERS)
        approver = self._staff("approver", roles.APPROVERS)
        for page in PolicyPage.objects.filter(live=False).order_by("title"):
            with transaction.atomic():
                submit_for_approval(
                    page.get_latest_revision_as_object(), author, "Initial version."
                )
                act_on_current_step(page, owner, "approve", "Reviewed.")
                act_on_current_step(page, approver, "approve", "Approved.")
        versions = [
            page.current_version() for page in PolicyPage.objects.live().order_by("title")
        ]
        self.log(f"Published {len(versions)} policies.")
        return [v for v in versions if v is not None]

    def _staff(self, role_name, group_name):
        User = get_user_model()
        user, _ = User.objects.get_or_create(
            username=f"{USERNAME_PREFIX}{role_name}",
            defaults={"email": f"{role_name}@{EMAIL_DOMAIN}", "password": UNUSABLE_PASSWORD_PREFIX,
                      "first_name": role_name.capitalize(), "last_name": "Scale"},
        )
        user.groups.add(Group.objects.get(name=group_name))
        return user

    def create_people(self):
        """Create department heads, team managers and employees, in that order."""
        User = get_user_model()
        departments = DEPARTMENTS[: max(1, min(len(DEPARTMENTS), self.users // 400))]
        manager_count = max(len(departments), self.users // TEAM_SIZE)
        rows = []
        for number in range(1, self.users + 1):
            department = departments[(number - 1) % len(departments)]
            rows.append(
                User(
                    username=f"{USERNAME_PREFIX}{number:06d}",
                    email=f"e{number:06d}@{EMAIL_DOMAIN}",
                    password=UNUSABLE_PASSWORD_PREFIX,
                    first_name=self.random.choice(FIRST_NAMES),
                    last_name=self.random.choice(LAST_NAMES),
                    department=department,
                    employee_number=f"E{number:07d}",
                )
            )
        heads = self._insert_users(rows[: len(departments)])
        head_of = {head.department: head for head in heads}
        for manager in rows[len(departments) : manager_count]:
            manager.manager = head_of[manager.department]
        managers = heads + self._insert_users(rows[len(departments) : manager_count])
        by_department = {}
        for manager in managers:
            by_department.setdefault(manager.department, []).append(manager)
        for employee in rows[manager_count:]:
            employee.manager = self.random.choice(by_department[employee.department])
        employees = self._insert_users(rows[manager_count:])
        user_ids = [user.pk for user in managers + employees]
        self.log(f"Created {len(user_ids)} people with {manager_count} managers.")
        return user_ids, departments

    def _insert_users(self, rows):
        created = []
        for start in range(0, len(rows), self.batch_size):
            created += bulk_create_with_history(
                rows[start : start + self.batch_size], get_user_model(),
                batch_size=self.batch_size, default_user=self.actor,
                default_change_reason="Generated organisation",
            )
        return created

    def add_groups(self, user_ids):
        Membership = get_user_model().groups.through
        employees = Group.objects.get(name=roles.EMPLOYEES)
        extra = [Group.objects.get_or_create(name=name)[0] for name in EXTRA_GROUPS]
        rows = [Membership(user_id=pk, group_id=employees.pk) for pk in user_ids]
        for pk in user_ids:
            if self.random.random() < 0.2:
                rows.append(Membership(user_id=pk, group_id=self.random.choice(extra).pk))
        Membership.objects.bulk_create(rows, batch_size=self.batch_size)

    def create_campaigns(self, versions, user_ids):
        """Create one open campaign per policy, due dates spread from past to future."""
        today = timezone.localdate()
        assignments = acks = 0
        for index, version in enumerate(versions):
            due = today + timedelta(days=7 * (index - len(versions) // 2))
            campaign = Campaign(
                name=f"Attestation: {version.title} {version.label}",
                status=Campaign.Status.OPEN, audience=Audience.ALL, due_date=due,
                grace_days=3, created_by=self.actor, launched_at=timezone.now(),
            )
            bulk_create_with_history([campaign], Campaign, default_user=self.actor)
            campaign.versions.set([version])
            for start in range(0, len(user_ids), self.batch_size):
                batch = user_ids[start : start + self.batch_size]
                made, acked = self._assign(campaign, version, batch, due)
                assignments += made
                acks += acked
            self.log(f"Campaign {campaign.pk}: {version.title}.")
        return assignments, acks

    def _assign(self, campaign, version, user_ids, due):
        acknowledged = [pk for pk in user_ids if self.random.random() < self.acknowledged]
        with transaction.atomic():
            ack_rows = Acknowledgement.objects.bulk_create(
                [
                    Acknowledgement(user_id=pk, version=version,
                                    content_sha256=version.content_sha256)
                    for pk in acknowledged
                ],
                batch_size=self.batch_size,
            )
            ack_by_user = {ack.user_id: ack for ack in ack_rows}
            grace_until = due + timedelta(days=campaign.grace_days)
            rows = []
            for pk in user_ids:
                ack = ack_by_user.get(pk)
                rows.append(
                    Assignment(
                        campaign=campaign, user_id=pk, version=version, due_date=due,
                        grace_until=grace_until,
                        status=Assignment.Status.COMPLETED if ack else Assignment.Status.PENDING,
                        acknowledgement=ack, completed_at=ack.acknowledged_at if ack else None,
                    )
                )
            bulk_create_with_history(
                rows, Assignment, batch_size=self.batch_size, default_user=self.actor,
                default_change_reason="Generated organisation",
            )
        return len(rows), len(ack_rows)
