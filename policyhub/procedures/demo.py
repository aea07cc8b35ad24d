"""Demo performers and this period's runs, for ``setup_demo``."""

from django.contrib.auth.models import Group

from ..accounts import roles
from .roles import BUSINESS_CONTINUITY, IT_OPERATIONS, SECURITY_OPERATIONS, SUPPLIER_MANAGEMENT
from .services import create_due_runs

# Demo account role -> performing roles. The employee performs operational
# procedures, and a policy owner who performs none signs them off.
DEMO_PERFORMERS = {
    roles.EMPLOYEES: (IT_OPERATIONS, SECURITY_OPERATIONS),
    roles.COMPLIANCE_ADMINS: (SUPPLIER_MANAGEMENT, BUSINESS_CONTINUITY),
}


def prepare_procedure_demo(accounts):
    """Add demo accounts to performing roles and create the current runs;
    return the number of runs created."""
    for role, groups in DEMO_PERFORMERS.items():
        accounts[role].groups.add(*Group.objects.filter(name__in=groups))
    return create_due_runs(actor_label="setup_demo")
