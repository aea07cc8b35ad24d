"""The scopes an API key can hold, and which of them are administrative."""

READ_POLICIES = "read:policies"
READ_STATUS = "read:status"
WRITE_ACKNOWLEDGEMENTS = "write:acknowledgements"
READ_AUDIT = "read:audit"
DEACTIVATE_USERS = "deactivate:users"
READ_CHANGES = "read:changes"
WRITE_CHANGES = "write:changes"
SCIM = "scim"

SCOPE_CHOICES = [
    (READ_POLICIES, "Read policies and their versions"),
    (READ_STATUS, "Read acknowledgement status"),
    (WRITE_ACKNOWLEDGEMENTS, "Acknowledge policy versions as the key's user"),
    (READ_AUDIT, "Read audit events"),
    (DEACTIVATE_USERS, "Deactivate users (administrative)"),
    (READ_CHANGES, "Read change requests"),
    (WRITE_CHANGES, "Create, update and transition change requests"),
    (SCIM, "Provision users and role memberships over SCIM 2.0 (administrative)"),
]
ALL_SCOPES = frozenset(name for name, _ in SCOPE_CHOICES)
# Keys holding any of these scopes may live at most ADMIN_MAX_DAYS.
ADMIN_SCOPES = frozenset({DEACTIVATE_USERS, SCIM})
MAX_DAYS = 365
ADMIN_MAX_DAYS = 90
