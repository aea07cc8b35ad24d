"""Create, check and revoke API keys. Each change is an audit event."""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..audit.services import record_event
from .models import ApiKey
from .scopes import ADMIN_MAX_DAYS, ADMIN_SCOPES, ALL_SCOPES, MAX_DAYS

logger = logging.getLogger(__name__)

KEY_PREFIX = "ph_"
MANAGE_PERMISSION = "api.manage_api_keys"
SECRET_BYTES = 32
# The last-used time is written at most this often per key.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str  # Shown once to the creator and never stored.


def hash_secret(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token):
    """Return (prefix, secret) of ``ph_xxxxxxxx.<secret>``, or None if malformed."""
    prefix, dot, secret = token.partition(".")
    if not dot or not prefix.startswith(KEY_PREFIX) or len(prefix) != 11 or not secret:
        return None
    return prefix, secret


def validate_key_request(scopes, expires_at, now=None):
    """Raise ValidationError unless the scopes exist and the expiry is allowed."""
    now = now or timezone.now()
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if not scopes:
        raise ValidationError("Choose at least one scope.")
    if unknown:
        raise ValidationError(f"Unknown scopes {', '.join(unknown)}.")
    max_days = ADMIN_MAX_DAYS if ADMIN_SCOPES & set(scopes) else MAX_DAYS
    if expires_at <= now:
        raise ValidationError("The expiry must be in the future.")
    if expires_at > now + timedelta(days=max_days):
        raise ValidationError(
            f"Keys with these scopes expire at most {max_days} days after creation; "
            "choose an earlier date."
        )


def create_key(creator, *, user, name, scopes, expires_at, request=None):
    """Issue a key for ``user``; return the key and its token, shown once."""
    if not creator.has_perm(MANAGE_PERMISSION):
        raise PermissionDenied("Only compliance admins create API keys.")
    if not user.is_active:
        raise ValidationError(f"User {user.username} is deactivated; keys act as their user.")
    validate_key_request(scopes, expires_at)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    for _attempt in range(5):
        prefix = KEY_PREFIX + secrets.token_hex(4)
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    name=name,
                    prefix=prefix,
                    secret_sha256=hash_secret(secret),
                    user=user,
                    scopes=sorted(scopes),
                    created_by=creator,
                    expires_at=expires_at,
                )
                record_event(
                    "api.key_created",
                    actor=creator,
                    obj=key,
                    request=request,
                    detail={
                        "prefix": prefix,
                        "user": f"user:{user.pk}",
                        "scopes": key.scopes,
                        "expires_at": expires_at.isoformat(),
                    },
                )
        except IntegrityError:
            continue  # Prefix already taken: draw another one.
        logger.info("API key %s created for user %s", key.pk, user.pk)
        return IssuedKey(key=key, token=f"{prefix}.{secret}")
    raise RuntimeError("Could not draw a free API key prefix after 5 attempts.")


def revoke_key(key, actor, request=None):
    """Revoke ``key`` at once; return False when it was already revoked."""
    if not actor.has_perm(MANAGE_PERMISSION):
        raise PermissionDenied("Only compliance admins revoke API keys.")
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            return False
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked._change_reason = "revoked"
        locked.save(update_fields=["revoked_at", "revoked_by"])
        record_event(
            "api.key_revoked",
            actor=actor,
            obj=locked,
            request=request,
            detail={"prefix": locked.prefix, "user": f"user:{locked.user_id}"},
        )
    logger.info("API key %s revoked by user %s", key.pk, actor.pk)
    return True


def find_key(token):
    """Return the usable key matching ``token``, or None.

    The hash comparison runs in constant time, and a malformed token or an
    unknown prefix costs one hash as well, so the response time reveals less
    about which part was wrong.
    """
    parts = split_token(token)
    secret = parts[1] if parts else token
    presented = hash_secret(secret)
    key = None
    if parts:
        key = ApiKey.objects.usable().select_related("user").filter(prefix=parts[0]).first()
    stored = key.secret_sha256 if key else "0" * 64
    if not hmac.compare_digest(presented, stored) or key is None:
        return None
    return key


def mark_used(key, request=None):
    """Store the key's last-used time, at most once a minute, and audit that use.

    The UPDATE only matches a key not used in the last minute, so of several
    processes only one writes and audits per key and minute.
    """
    now = timezone.now()
    updated = (
        ApiKey.objects.filter(pk=key.pk)
        .exclude(last_used_at__gt=now - LAST_USED_RESOLUTION)
        .update(last_used_at=now)
    )
    if updated:
        key.last_used_at = now
        record_event(
            "api.key_used",
            actor=key.user,
            obj=key,
            request=request,
            detail={"prefix": key.prefix},
        )
