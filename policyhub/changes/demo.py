"""Demo data for change management: catalogue, systems, calendar periods and
example changes in several states, created through the services so they carry
history and audit entries like real ones."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from . import roles, services
from .models import (
    BlackoutPeriod,
    ChangeCategory,
    ChangeRequest,
    ChangeType,
    MaintenanceWindow,
    StandardChangeTemplate,
    System,
)

DEMO_DOMAIN = "demo.policyhub.test"
SYSTEMS = {
    "Core banking": "Accounts, balances and postings.",
    "Online banking": "Customer web and mobile banking.",
    "Payments gateway": "SEPA and card payment routing.",
    "Email": "Corporate email and calendars.",
    "Active Directory": "Staff identities and groups.",
}
CATEGORIES = ("Infrastructure", "Network", "Security patch", "Software release")
TEMPLATES = [
    {
        "name": "Apply monthly operating system security patches",
        "description": "Vendor security patches on application servers behind the load balancer.",
        "category": "Security patch",
        "systems": ["Online banking"],
        "implementation_plan": "Drain one server at a time, patch, reboot, return it to the pool.",
        "rollback_plan": "Restore the server's pre-patch snapshot.",
        "test_plan": "Load balancer health checks pass for each server before the next.",
    },
    {
        "name": "Renew a TLS certificate before expiry",
        "description": "Replace a certificate issued by the internal CA with its renewal.",
        "category": "Infrastructure",
        "systems": ["Email"],
        "implementation_plan": "Install the renewed certificate and reload the service.",
        "rollback_plan": "Reinstall the previous certificate, still valid until expiry.",
        "test_plan": "Check the served certificate's serial number and expiry date.",
    },
]


def _at(days, hour):
    today = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(hour)))


def seed_catalogue():
    """Create the systems, categories, templates and calendar periods once."""
    systems = {
        name: System.objects.get_or_create(name=name, defaults={"description": text})[0]
        for name, text in SYSTEMS.items()
    }
    categories = {name: ChangeCategory.objects.get_or_create(name=name)[0] for name in CATEGORIES}
    for spec in TEMPLATES:
        template, created = StandardChangeTemplate.objects.get_or_create(
            name=spec["name"],
            defaults={
                "description": spec["description"],
                "category": categories[spec["category"]],
                "implementation_plan": spec["implementation_plan"],
                "rollback_plan": spec["rollback_plan"],
                "test_plan": spec["test_plan"],
                "approved_on": datetime.date(2026, 1, 15),
            },
        )
        if created:
            template.systems.set([systems[name] for name in spec["systems"]])
    if not MaintenanceWindow.objects.filter(name="Weekly Saturday night window").exists():
        saturday = (5 - timezone.localdate().weekday()) % 7 or 7
        MaintenanceWindow.objects.create(
            name="Weekly Saturday night window", starts_at=_at(saturday, 22),
            ends_at=_at(saturday + 1, 4),
        )
    if not BlackoutPeriod.objects.filter(name="Quarter-end freeze").exists():
        BlackoutPeriod.objects.create(
            name="Quarter-end freeze", starts_at=_at(24, 0), ends_at=_at(27, 0),
            reason="Quarter-end closing of the books.",
        )
    return systems, categories


def _user(local_part):
    return get_user_model().objects.filter(email=f"{local_part}@{DEMO_DOMAIN}").first()


def _change_fields(title, change_type, category, start_days, impact, likelihood, implementer):
    return {
        "title": title,
        "description": f"{title}, as planned by the platform team.",
        "justification": "Without it the service runs on unsupported or vulnerable software.",
        "change_type": change_type,
        "category": category,
        "impact": impact,
        "likelihood": likelihood,
        "implementation_plan": "1. Announce the window. 2. Apply the change. 3. Verify.",
        "rollback_plan": "Restore the configuration and data snapshot taken before step 2.",
        "test_plan": "Tested in staging; the regression suite passed. Smoke tests after.",
        "planned_start": _at(start_days, 22),
        "planned_end": _at(start_days, 23),
        "implementer": implementer,
    }


def seed_examples(systems, categories):
    """Create the example changes that do not exist yet; return their titles.

    Needs the demo accounts from ``setup_demo``; without them nothing is created.
    """
    requester, implementer, cab = _user("employee"), _user("author"), _user("cab")
    if not (requester and implementer and cab):
        return []
    cab.groups.add(Group.objects.get(name=roles.EMERGENCY_CAB))
    release = categories["Software release"]
    examples = [
        ("Draft: upgrade the payments gateway runtime", ChangeType.NORMAL, 12, "medium", "low",
         [systems["Payments gateway"]], []),
        ("Add a read replica to core banking", ChangeType.NORMAL, 9, "high", "medium",
         [systems["Core banking"]], [("submit", requester), ("assess", cab),
                                     ("send_to_cab", cab)]),
        ("Release online banking 4.2", ChangeType.NORMAL, 6, "medium", "medium",
         [systems["Online banking"]], [("submit", requester), ("assess", cab),
                                       ("send_to_cab", cab), ("vote", cab),
                                       ("schedule", cab)]),
        ("Rotate the Active Directory service account keys", ChangeType.NORMAL, -6, "low", "low",
         [systems["Active Directory"]], [("submit", requester), ("assess", cab),
                                         ("send_to_cab", cab), ("vote", cab),
                                         ("schedule", cab), ("start", implementer),
                                         ("complete", implementer),
                                         ("begin_review", requester), ("close", cab)]),
        ("Emergency: block an exploited mail relay", ChangeType.EMERGENCY, -1, "high", "high",
         [systems["Email"]], [("submit", requester), ("send_to_cab", cab), ("vote", cab),
                              ("schedule", cab), ("start", implementer),
                              ("complete", implementer)]),
    ]
    created = []
    for title, change_type, days, impact, likelihood, change_systems, steps in examples:
        if ChangeRequest.objects.filter(title=title).exists():
            continue
        fields = _change_fields(title, change_type, release, days, impact, likelihood, implementer)
        change = services.create_change(requester, fields, change_systems)
        for action, user in steps:
            change.refresh_from_db()
            if action == "vote":
                services.cast_vote(change, user, "approve", "Plan, tests and rollback are sound.")
            elif action == "close":
                services.transition(change, "close", user, code="successful",
                                    notes="Completed in the window; no incidents.")
            else:
                services.transition(change, action, user)
        created.append(title)
    return created
