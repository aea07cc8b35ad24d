"""Read SCIM attribute values into PolicyHub user fields."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django_scim import constants, exceptions

ENTERPRISE = constants.SchemaURI.ENTERPRISE_USER
# PATCH paths may carry the schema URN in front of the attribute name.
_SCHEMA_PREFIX = re.compile(r"^urn:ietf:params:scim:schemas:[^ ]*?:2\.0:(User|Group):", re.I)
_VALUE_FILTER = re.compile(r'^(\w+)\[value eq "([^"]*)"\]$', re.I)
MAX_USERNAME = 150


def bad_value(detail):
    return exceptions.BadRequestError(detail, scim_type="invalidValue")


def strip_schema(path):
    """Return ``path`` without a leading schema URN, e.g. ``department``."""
    return _SCHEMA_PREFIX.sub("", path.strip())


def value_filter(path):
    """Return (attribute, value) of ``members[value eq "12"]``, or None."""
    match = _VALUE_FILTER.match(path.strip())
    return (match.group(1), match.group(2)) if match else None


def to_bool(name, value):
    """Return ``value`` as a boolean; a few identity providers send "True" or "False"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise bad_value(f"{name} must be true or false, not {value!r}.")


def to_text(name, value, max_length):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_value(f"{name} must be a string, not {type(value).__name__}.")
    value = value.strip()
    if len(value) > max_length:
        raise bad_value(f"{name} is longer than {max_length} characters.")
    return value


def to_username(value):
    username = to_text("userName", value, MAX_USERNAME)
    if not username:
        raise bad_value("userName is required and must not be blank.")
    return username


def to_email(value):
    """Return the primary (or first) address of a SCIM ``emails`` value."""
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, str):
        address = value
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        primary = [item for item in value if item.get("primary") in (True, "true", "True")]
        address = (primary or value)[0].get("value")
    else:
        raise bad_value(
            "emails must be a list of objects with a value, e.g. "
            '[{"value": "a.person@example.com", "primary": true}].'
        )
    address = (address or "").strip() if isinstance(address, str) else ""
    try:
        validate_email(address)
    except ValidationError:
        raise bad_value(f"{address!r} is not a valid email address.") from None
    return address.lower()
