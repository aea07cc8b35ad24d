"""Provisioning rules for SCIM: who may be changed, and the audit of each change.

Each function runs in the caller's transaction (the SCIM views open one per
request) and records one audit event that names the API key through the
request's ``api_key_prefix``.
"""

import logging

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scim import exceptions

from ..accounts.deprovisioning import deactivate_user
from ..audit.services import record_event
from .errors import ForbiddenError
from .models import ScimIdentity

logger = logging.getLogger(__name__)


def check_manageable(user, key):
    """Raise ForbiddenError for accounts SCIM must not change.

    Superusers are break-glass accounts kept outside the identity provider,
    and a key must not lock out its own user.
    """
    if user.pk is None:
        return
    if user.is_superuser:
        raise ForbiddenError(
            f"User {user.pk} is a superuser; manage it in PolicyHub, not over SCIM."
        )
    if user.pk == key.user_id:
        raise ForbiddenError(
            f"User {user.pk} owns the API key {key.prefix}; a key cannot change its own user."
        )


def check_unique(user, external_id):
    """Raise a SCIM 409 when another account has the userName, email or externalId."""
    User = type(user)
    others = User.objects.exclude(pk=user.pk)
    clashes = [
        ("userName", user.username, others.filter(username__iexact=user.username)),
        ("email", user.email, others.filter(email__iexact=user.email)),
    ]
    # employeeNumber is stored encrypted, so its uniqueness is left to the
    # database constraint, which save_user reports as a 409 as well.
    if external_id:
        clashes.append(
            (
                "externalId",
                external_id,
                ScimIdentity.objects.filter(external_id=external_id).exclude(user_id=user.pk),
            )
        )
    for attribute, value, queryset in clashes:
        if queryset.exists():
            raise exceptions.IntegrityError(
                f"Another account already has {attribute} {value!r}; "
                "match the existing account instead of creating a second one.",
                scim_type="uniqueness",
            )


def save_user(user, *, external_id, changed_fields, key, request):
    """Create or update ``user`` with its verified email address and SCIM identity."""
    created = user.pk is None
    check_unique(user, external_id)
    if created:
        # Users provisioned by the identity provider sign in with SSO or set
        # their own password through a reset link.
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
            _store_email(user)
            _store_identity(user, external_id, touched=bool(changed_fields))
    except IntegrityError as error:
        raise exceptions.IntegrityError(
            "Another account already has this userName, email, employeeNumber or "
            "externalId; match the existing account instead.",
            scim_type="uniqueness",
        ) from error
    if created or changed_fields:
        record_event(
            "scim.user_created" if created else "scim.user_updated",
            actor=key.user,
            obj=user,
            request=request,
            detail={"users": [user.pk], "fields": sorted(changed_fields)},
        )
        logger.info("SCIM %s user %s", "created" if created else "updated", user.pk)


def _store_email(user):
    address, _ = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    if not (address.verified and address.primary):
        address.verified = True
        address.primary = True
        address.save(update_fields=["verified", "primary"])
    EmailAddress.objects.filter(user=user, primary=True).exclude(pk=address.pk).update(
        primary=False
    )


def _store_identity(user, external_id, touched):
    identity, created = ScimIdentity.objects.get_or_create(
        user=user, defaults={"external_id": external_id}
    )
    if not created and touched:
        identity.external_id = external_id
        identity.updated_at = timezone.now()
        identity.save(update_fields=["external_id", "updated_at"])


def set_active(user, active, *, key, request):
    """Deactivate (revoking all access) or reactivate ``user``; return whether it changed."""
    check_manageable(user, key)
    if not active:
        changed = deactivate_user(
            user,
            actor=key.user,
            reason=f"SCIM: deactivated by the identity provider with API key {key.prefix}",
        )
        action = "scim.user_deactivated"
    else:
        changed = not user.is_active
        if changed:
            user.is_active = True
            user.save(update_fields=["is_active"])
        action = "scim.user_reactivated"
    if changed:
        record_event(action, actor=key.user, obj=user, request=request, detail={"users": [user.pk]})
    return changed


def change_members(group, *, add=(), remove=(), key, request):
    """Add and remove members of a managed group; return the user ids changed."""
    for user in add:
        check_manageable(user, key)
        if not user.is_active:
            raise exceptions.BadRequestError(
                f"User {user.pk} is deactivated; reactivate it before adding it to {group.name}.",
                scim_type="invalidValue",
            )
    for user in remove:
        check_manageable(user, key)
    current = set(group.user_set.values_list("pk", flat=True))
    added = [user for user in add if user.pk not in current]
    removed = [user for user in remove if user.pk in current]
    if added:
        group.user_set.add(*added)
    if removed:
        group.user_set.remove(*removed)
    for action, users in (
        ("scim.group_members_added", added),
        ("scim.group_members_removed", removed),
    ):
        if users:
            record_event(
                action,
                actor=key.user,
                obj=group,
                request=request,
                detail={"group": group.name, "users": sorted(user.pk for user in users)},
            )
    return sorted(user.pk for user in added + removed)
