"""Subject-access export: everything PolicyHub stores about one person.

The list of tables is derived from the models: every model with a foreign key
or one-to-one field to the user model contributes its rows that point at the
person, so a new model is included without a change here. ``EXCLUDED_MODELS``
names the few that are left out, each with the reason, and
``REDACTED_FIELDS`` the columns whose content is a secret rather than data
about the person.
"""

import hashlib
import json

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from ..audit.models import AuditEvent
from ..audit.services import record_event
from ..exports.signing import sign_pdf

EXCLUDED_MODELS = {
    "accounts.User_groups": "Group memberships are listed in the subject section.",
    "accounts.User_user_permissions": "Direct permissions are listed in the subject section.",
    "password_history.UserPasswordHistoryConfig": (
        "Holds only the salt used to hash earlier passwords, not data about the person."
    ),
}
# Secrets that protect the account; the export shows that a value exists.
REDACTED_FIELDS = {
    "password",
    "secret_sha256",
    "key_sha256",
    "request_sha256",
    "employee_number_hash",
    "session_key",
}
REDACTED_MODEL_FIELDS = {"mfa.Authenticator": {"data"}}
# Longer values (such as the full content of a page revision) are summarised
# by their length and SHA-256, which identify the stored value exactly.
MAX_VALUE_CHARS = 4000
EXPORT_FORMATS = ("json", "pdf")


def user_relations():
    """Return ``{model label: [field, ...]}`` for every local relation to the user model."""
    user_model = get_user_model()
    relations = {}
    for model in apps.get_models(include_auto_created=True):
        for model_field in model._meta.get_fields():
            if (
                model_field.concrete
                and model_field.is_relation
                and (model_field.many_to_one or model_field.one_to_one)
                and model_field.related_model is user_model
                and model_field.model is model
            ):
                relations.setdefault(model._meta.label, []).append(model_field)
    return relations


def _plain(value):
    text = json.dumps(value, cls=DjangoJSONEncoder)
    if len(text) <= MAX_VALUE_CHARS:
        return json.loads(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"[{len(text)} characters, SHA-256 {digest}]"


def serialise_row(instance, redacted=()):
    """Return the concrete fields of ``instance`` as JSON-ready values."""
    row = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.name in REDACTED_FIELDS or model_field.name in redacted:
            value = getattr(instance, model_field.attname)
            row[model_field.name] = "[withheld secret]" if value else value
            continue
        row[model_field.name] = _plain(model_field.value_from_object(instance))
    return row


def _subject_section(user):
    section = serialise_row(user)
    section["groups"] = sorted(user.groups.values_list("name", flat=True))
    section["direct_permissions"] = sorted(
        f"{app}.{codename}"
        for app, codename in user.user_permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    return section


def _records(user):
    records = {}
    for label, relation_fields in sorted(user_relations().items()):
        if label in EXCLUDED_MODELS:
            continue
        model = apps.get_model(label)
        condition = models.Q()
        for relation in relation_fields:
            condition |= models.Q(**{relation.attname: user.pk})
        if getattr(model, "instance_type", None) is type(user):
            # The account's own history rows copy its id, not a foreign key.
            condition |= models.Q(id=user.pk)
        redacted = REDACTED_MODEL_FIELDS.get(label, set())
        rows = [
            serialise_row(instance, redacted)
            for instance in model._default_manager.filter(condition).order_by("pk")
        ]
        records[label] = {
            "linked_by": [relation.name for relation in relation_fields],
            "rows": rows,
        }
    return records


def collect(user):
    """Return everything stored about ``user`` as one JSON-ready dictionary."""
    about = AuditEvent.objects.filter(
        object_type=f"{user._meta.app_label}.{user._meta.model_name}",
        object_id=str(user.pk),
    ).order_by("pk")
    return {
        "subject": _subject_section(user),
        "records": _records(user),
        "audit_events_about_subject": [serialise_row(event) for event in about],
        "excluded_models": EXCLUDED_MODELS,
        "generated_at": timezone.now().isoformat(),
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
    }


def record_count(data):
    return sum(len(section["rows"]) for section in data["records"].values()) + len(
        data["audit_events_about_subject"]
    )


def render_json(data):
    return json.dumps(data, indent=2, sort_keys=True, cls=DjangoJSONEncoder).encode()


def render_pdf(data, requested_by):
    """Return the export as a PDF signed with the organisation's key."""
    html = render_to_string(
        "privacy/subject_access_pdf.html",
        {
            "data": data,
            "sections": [
                (label, section) for label, section in data["records"].items() if section["rows"]
            ],
            "empty_sections": [
                label for label, section in data["records"].items() if not section["rows"]
            ],
            "requested_by": requested_by,
            "organisation": settings.POLICYHUB_ORGANISATION_NAME,
            "generated_at": timezone.now(),
        },
    )
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return sign_pdf(pdf, f"Subject access export for user {data['subject']['id']}")


def export_subject(user, export_format, *, actor=None, system_actor="", request=None):
    """Return ``(content, content type, file name)`` and record the export."""
    if export_format not in EXPORT_FORMATS:
        raise ValueError(
            f"Export format {export_format!r} is invalid; use one of {', '.join(EXPORT_FORMATS)}."
        )
    data = collect(user)
    requested_by = str(actor) if actor is not None else system_actor
    if export_format == "json":
        content, content_type = render_json(data), "application/json"
    else:
        content, content_type = render_pdf(data, requested_by), "application/pdf"
    record_event(
        "privacy.subject_access_exported",
        actor=actor,
        system_actor=system_actor,
        obj=user,
        request=request,
        detail={
            "format": export_format,
            "records": record_count(data),
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    filename = f"subject-access-user-{user.pk}-{timezone.now():%Y%m%d%H%M%S}.{export_format}"
    return content, content_type, filename
