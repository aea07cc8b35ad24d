"""Create and update change requests through the API with the portal's rules.

The API serializer parses and bounds the input. ``ChangeRequestForm`` then
applies the portal's validation, and ``policyhub.changes.services`` saves,
records history and writes the audit event, exactly as for the portal.
"""

import hashlib
import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError, transaction
from rest_framework import exceptions

from ..changes import permissions as change_permissions
from ..changes import services as change_services
from ..changes.forms import ChangeRequestForm
from .exceptions import Conflict
from .models import IdempotencyKey
from .permissions import key_of

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_MAX_LENGTH = 255

# API field name -> ChangeRequestForm field name, where they differ.
FORM_NAMES = {
    "template_id": "template",
    "system_ids": "systems",
    "policy_version_ids": "policy_versions",
    "category_id": "category",
    "implementer_id": "implementer",
}
API_NAMES = {form: api for api, form in FORM_NAMES.items()}
MANY_FIELDS = ("systems", "policy_versions")


class UnprocessableEntity(exceptions.APIException):
    status_code = 422
    default_code = "unprocessable"
    default_detail = "The request cannot be processed."


def current_form_data(change):
    """Return the form data that reproduces ``change`` as it is stored."""
    data = {}
    for name in ChangeRequestForm.Meta.fields:
        if name in MANY_FIELDS:
            data[name] = list(getattr(change, name).values_list("pk", flat=True))
        else:
            field = change._meta.get_field(name)
            data[name] = field.value_from_object(change)
    return data


def form_data(validated, change=None):
    """Return form data: the stored values of ``change`` overlaid with ``validated``."""
    data = current_form_data(change) if change is not None else {}
    for name, value in validated.items():
        data[FORM_NAMES.get(name, name)] = "" if value is None else value
    return data


def form_errors(form):
    """Return the form's errors keyed by API field names."""
    errors = {}
    for name, messages in form.errors.items():
        key = "non_field_errors" if name == "__all__" else API_NAMES.get(name, name)
        errors[key] = list(messages)
    return errors


def validated_form(validated, change=None):
    form = ChangeRequestForm(form_data(validated, change), instance=change)
    if not form.is_valid():
        raise exceptions.ValidationError(form_errors(form))
    return form


def _call_service(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except DjangoPermissionDenied as denied:
        raise exceptions.PermissionDenied(str(denied)) from denied
    except change_services.ChangeError as error:
        raise Conflict(str(error)) from error


def create(request, validated):
    """Create a draft change as the request's user; return it."""
    form = validated_form(validated)
    return _call_service(
        change_services.create_change,
        request.user,
        form.service_fields(),
        form.cleaned_data["systems"],
        form.cleaned_data["policy_versions"],
        request=request._request,
    )


def check_editable(request, change):
    """Raise unless the request's user may edit ``change`` now.

    Someone other than the requester gets 403. The requester gets 409 once
    the change has left draft or "more information requested". Both
    denials are recorded in the audit trail.
    """
    user = request.user
    try:
        change_services.ensure_editable_by(change, user, request._request)
    except DjangoPermissionDenied as denied:
        if change_permissions.is_requester(change, user):
            raise Conflict(str(denied)) from denied
        raise exceptions.PermissionDenied(str(denied)) from denied


def update(request, change, validated):
    """Apply the requester's edits to ``change``; call ``check_editable`` first."""
    form = validated_form(validated, change)
    return _call_service(
        change_services.update_change,
        change,
        request.user,
        form.service_fields(),
        form.cleaned_data["systems"],
        form.cleaned_data["policy_versions"],
        request=request._request,
    )


def idempotency_key(request):
    """Return the request's ``Idempotency-Key`` header value, or None without one."""
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    if not 1 <= len(value) <= IDEMPOTENCY_MAX_LENGTH or not value.isascii():
        raise exceptions.ValidationError(
            {
                IDEMPOTENCY_HEADER: [
                    f"Give 1 to {IDEMPOTENCY_MAX_LENGTH} ASCII characters, "
                    "for example a random UUID."
                ]
            }
        )
    if not value.isprintable() or value != value.strip():
        raise exceptions.ValidationError(
            {IDEMPOTENCY_HEADER: ["Use printable characters without leading or trailing spaces."]}
        )
    return value


def _sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _request_hash(validated):
    return _sha256(json.dumps(validated, sort_keys=True, default=str))


def create_once(request, validated, key):
    """Create a change unless this key already created one; return (change, created).

    The key row is inserted before the change, in the same transaction, so a
    concurrent retry waits on the unique constraint and then finds the
    first request's change. A failed create rolls back the key as well, so
    the client may retry it.
    """
    api_key = key_of(request)
    owner = {"api_key": api_key} if api_key else {"api_key": None, "user": request.user}
    key_hash = _sha256(key)
    body_hash = _request_hash(validated)
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(
                    api_key=api_key,
                    user=request.user,
                    key_sha256=key_hash,
                    request_sha256=body_hash,
                )
        except IntegrityError:
            return _replay(owner, key_hash, body_hash), False
        change = create(request, validated)
        claim.change = change
        claim.save(update_fields=["change"])
    return change, True


def _replay(owner, key_hash, body_hash):
    first = (
        IdempotencyKey.objects.select_related("change").filter(key_sha256=key_hash, **owner).first()
    )
    if first is None or first.change is None:
        raise Conflict("A request with this Idempotency-Key is still running; retry later.")
    if first.request_sha256 != body_hash:
        raise UnprocessableEntity(
            "This Idempotency-Key was used for a different request body; "
            "use a new key for a new change request."
        )
    return first.change
