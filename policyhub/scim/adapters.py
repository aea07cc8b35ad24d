"""django-scim2 adapters between SCIM resources and PolicyHub users and roles.

The adapters translate attributes; the rules (who may be changed, audit,
deactivation) live in ``services``.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django_scim import adapters, constants, exceptions

from . import attributes, services
from .attributes import ENTERPRISE, bad_value

logger = logging.getLogger(__name__)

# SCIM attribute -> (user field, longest value).
TEXT_ATTRIBUTES = {
    "name.givenName": ("first_name", 150),
    "name.familyName": ("last_name", 150),
    "title": ("job_title", 150),
    "department": ("department", 150),
    "employeeNumber": ("employee_number", 50),
}
STORED_FIELDS = ("username", "email", *(field for field, _ in TEXT_ATTRIBUTES.values()))
# Attributes accepted and not stored. PolicyHub derives the display name from
# the given and family names, and "groups" is read-only in a User resource.
IGNORED_ATTRIBUTES = {
    "groups",
    "roles",
    "entitlements",
    "photos",
    "ims",
    "profileUrl",
    "x509Certificates",
    "displayName",
    "name.formatted",
    "nickName",
    "locale",
    "preferredLanguage",
    "timezone",
    "userType",
    "schemas",
    "meta",
    "id",
    "phoneNumbers",
    "addresses",
    "manager",
    "organization",
    "division",
    "costCenter",
}


class ScimUser(adapters.SCIMUser):
    id_field = "pk"

    def __init__(self, obj, request=None):
        super().__init__(obj, request)
        self.active = None
        identity = getattr(obj, "scim_identity", None) if obj.pk else None
        self.external_id = identity.external_id if identity else ""
        self.original = {**self._snapshot(), "externalId": self.external_id}

    def _snapshot(self):
        return {field: getattr(self.obj, field) for field in STORED_FIELDS}

    @property
    def changed(self):
        now = {**self._snapshot(), "externalId": self.external_id}
        return {name for name, value in now.items() if self.original[name] != value}

    @property
    def key(self):
        return self.request.scim_key

    @property
    def display_name(self):
        return self.obj.get_full_name() or self.obj.username

    @property
    def groups(self):
        return [
            {
                "value": str(group.pk),
                "$ref": ScimGroup(group, self.request).location,
                "display": group.name,
            }
            for group in sorted(self.obj.groups.all(), key=lambda group: group.name)
            if group.name in settings.SCIM_MANAGED_GROUPS
        ]

    @property
    def meta(self):
        meta = super().meta
        identity = getattr(self.obj, "scim_identity", None) if self.obj.pk else None
        # Changes made over SCIM update the identity's time; others do not.
        meta["lastModified"] = (
            identity.updated_at if identity else self.obj.date_joined
        ).isoformat()
        return meta

    def to_dict(self):
        return {
            "schemas": [constants.SchemaURI.USER, ENTERPRISE],
            "id": self.id,
            "externalId": self.external_id,
            "userName": self.obj.username,
            "name": {
                "givenName": self.obj.first_name,
                "familyName": self.obj.last_name,
                "formatted": self.display_name,
            },
            "displayName": self.display_name,
            "title": self.obj.job_title,
            "emails": self.emails,
            "active": self.obj.is_active,
            "groups": self.groups,
            ENTERPRISE: {
                "department": self.obj.department,
                "employeeNumber": self.obj.employee_number or "",
            },
            "meta": self.meta,
        }

    def set_attribute(self, path, value):
        """Apply one SCIM attribute (a PATCH path or a top-level key) to the user."""
        path = attributes.strip_schema(path)
        if path == "password":
            raise bad_value(
                "PolicyHub does not accept passwords over SCIM; users sign in with "
                "SSO or set their own password."
            )
        if path == ENTERPRISE or path == "name":
            self._set_object(path, value)
        elif path == "active":
            self.active = attributes.to_bool("active", value)
        elif path == "userName":
            self._assign("username", attributes.to_username(value))
        elif path == "externalId":
            self.external_id = attributes.to_text("externalId", value, 255)
        elif path == "emails" or path.startswith("emails["):
            self._assign("email", attributes.to_email(value))
        elif path in TEXT_ATTRIBUTES:
            field, max_length = TEXT_ATTRIBUTES[path]
            text = attributes.to_text(path, value, max_length)
            # employee_number is unique when set, so blank is stored as NULL.
            self._assign(field, (text or None) if field == "employee_number" else text)
        elif path in IGNORED_ATTRIBUTES or path.split("[")[0].split(".")[0] in IGNORED_ATTRIBUTES:
            logger.debug("SCIM attribute %s ignored", path)
        else:
            raise exceptions.BadRequestError(
                f"The attribute {path!r} is not supported by PolicyHub.", scim_type="noTarget"
            )

    def _set_object(self, path, value):
        if not isinstance(value, dict):
            raise bad_value(f"{path} must be an object.")
        prefix = "name." if path == "name" else ""
        for name, item in value.items():
            self.set_attribute(prefix + name, item)

    def _assign(self, field, value):
        setattr(self.obj, field, value)

    def from_dict(self, d):
        """Replace the user's attributes with those of a POST or PUT body.

        Attributes the body leaves out are cleared, as a SCIM replace requires.
        """
        if "userName" not in d:
            raise bad_value("userName is required.")
        for path in (*TEXT_ATTRIBUTES, "externalId"):
            self.set_attribute(path, "")
        for name, value in d.items():
            self.set_attribute(name, value)
        if "emails" not in d:
            if "@" not in self.obj.username:
                raise bad_value("Send emails, or a userName that is an email address.")
            self._assign("email", attributes.to_email(self.obj.username))
        if self.obj.pk is None and self.active is None:
            self.active = True

    def validate_dict(self, d):
        if not isinstance(d, dict):
            raise bad_value("The request body must be a JSON object.")

    def save(self):
        services.check_manageable(self.obj, self.key)
        if self.obj.pk is None:
            self.obj.is_active = self.active is not False
        services.save_user(
            self.obj,
            external_id=self.external_id,
            changed_fields=self.changed,
            key=self.key,
            request=self.request,
        )
        if self.active is not None and self.active != self.obj.is_active:
            services.set_active(self.obj, self.active, key=self.key, request=self.request)

    def delete(self):
        """Deactivate the user: SCIM DELETE keeps the account and its records."""
        services.set_active(self.obj, False, key=self.key, request=self.request)

    def handle_operations(self, operations):
        for operation in operations:
            if not isinstance(operation, dict):
                raise bad_value("Each PATCH operation must be an object.")
            op = str(operation.get("op", "")).lower()
            path, value = operation.get("path"), operation.get("value")
            if op not in constants.VALID_PATCH_OPS:
                raise bad_value(f"Unknown PATCH op {op!r}; use add, replace or remove.")
            if path:
                items = [(path, None if op == "remove" else value)]
            elif isinstance(value, dict) and op != "remove":
                items = value.items()
            else:
                raise exceptions.BadRequestError(
                    "A PATCH operation needs a path, or an object value for add and replace.",
                    scim_type="noTarget",
                )
            for item_path, item_value in items:
                if op == "remove" and attributes.strip_schema(item_path) in ("userName", "emails"):
                    raise bad_value(f"{item_path} is required and cannot be removed.")
                self.set_attribute(item_path, item_value)
        self.save()


class ScimGroup(adapters.SCIMGroup):
    """A PolicyHub role (Django group) named in SCIM_MANAGED_GROUPS."""

    id_field = "pk"

    @property
    def key(self):
        return self.request.scim_key

    @property
    def members(self):
        return [
            {
                "value": str(user.pk),
                "$ref": ScimUser(user, self.request).location,
                "display": user.get_full_name() or user.username,
            }
            for user in sorted(self.obj.user_set.all(), key=lambda user: user.pk)
        ]

    def to_dict(self):
        return {
            "schemas": [constants.SchemaURI.GROUP],
            "id": self.id,
            "displayName": self.obj.name,
            "members": self.members,
            "meta": self.meta,
        }

    def validate_dict(self, d):
        if not isinstance(d, dict):
            raise bad_value("The request body must be a JSON object.")

    def from_dict(self, d):
        """Replace the members of the role (PUT); the role's name cannot change."""
        name = d.get("displayName", self.obj.name)
        if name != self.obj.name:
            raise bad_value(
                f"Roles cannot be renamed over SCIM; keep displayName {self.obj.name!r}."
            )
        requested = self._users(d.get("members") or [])
        current = list(self.obj.user_set.all())
        self.pending = {
            "add": [user for user in requested if user not in current],
            "remove": [user for user in current if user not in requested],
        }

    def save(self):
        pending = getattr(self, "pending", {})
        services.change_members(self.obj, key=self.key, request=self.request, **pending)

    def delete(self):
        raise exceptions.NotImplementedError(
            "PolicyHub roles cannot be deleted over SCIM; remove their members instead."
        )

    def handle_operations(self, operations):
        add, remove = [], []
        for operation in operations:
            op = str(operation.get("op", "")).lower() if isinstance(operation, dict) else ""
            path = str(operation.get("path") or "") if op else ""
            value = operation.get("value") if op else None
            target = attributes.value_filter(path)
            if target and target[0] == "members" and op == "remove":
                remove += self._users([{"value": target[1]}])
            elif path == "members" and op == "add":
                add += self._users(value)
            elif path == "members" and op == "remove":
                remove += self._users(value) if value else list(self.obj.user_set.all())
            elif path == "members" and op == "replace":
                requested = self._users(value or [])
                remove += [user for user in self.obj.user_set.all() if user not in requested]
                add += requested
            elif not path and op in ("add", "replace") and isinstance(value, dict):
                if "members" in value:
                    add += self._users(value["members"])
                if value.get("displayName", self.obj.name) != self.obj.name:
                    raise bad_value("Roles cannot be renamed over SCIM.")
            elif path == "displayName" and value == self.obj.name:
                continue
            else:
                raise exceptions.BadRequestError(
                    f"Unsupported PATCH on a role (op {op!r}, path {path!r}); only "
                    "members can be added, removed or replaced.",
                    scim_type="noTarget",
                )
        services.change_members(
            self.obj, add=add, remove=remove, key=self.key, request=self.request
        )

    def _users(self, members):
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise bad_value('members must be a list of objects such as [{"value": "12"}].')
        ids = [str(member.get("value", "")).strip() for member in members]
        invalid = [value for value in ids if not value.isdigit()]
        if invalid:
            raise bad_value(f"Member ids {', '.join(map(repr, invalid))} are not user ids.")
        users = list(get_user_model().objects.filter(pk__in=ids))
        missing = sorted(set(ids) - {str(user.pk) for user in users})
        if missing:
            raise bad_value(f"No user has the id {', '.join(missing)}.")
        return users
