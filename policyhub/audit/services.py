"""Record audit events. Every security-relevant action calls ``record_event``."""

import logging

from django.db import connection, transaction
from django.utils import timezone

from ..privacy.keys import keyed_hash
from .chain import GENESIS_HASH, compute_hash
from .models import AuditCheckpoint, AuditEvent, Outcome

logger = logging.getLogger(__name__)
# Key of the PostgreSQL advisory lock that serialises appends to the chain.
CHAIN_LOCK_KEY = 0x504F4C4943594855  # "POLICYHU"
DETAIL_MAX_CHARS = 4000


def client_ip(request):
    """Return the client address Django saw; proxies are handled by middleware."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def lock_chain():
    """Serialise appends and purges until the current transaction ends.

    PostgreSQL takes a transaction-level advisory lock; SQLite already allows
    one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _head_hash():
    """Return the hash the next event links to.

    That is the newest event's hash; after a purge that removed every event,
    the hash at the purge's cut, so the chain continues from it.
    """
    last_hash = AuditEvent.objects.order_by("-id").values_list("event_hash", flat=True).first()
    if last_hash:
        return last_hash
    cut = (
        AuditCheckpoint.objects.filter(kind=AuditCheckpoint.Kind.PURGE)
        .order_by("-id")
        .values_list("head_hash", flat=True)
        .first()
    )
    return cut or GENESIS_HASH


def _actor_label(actor, system_actor):
    if system_actor:
        return system_actor[:200]
    if actor is not None and getattr(actor, "pk", None):
        return f"user:{actor.pk}"
    return "anonymous"


def record_event(
    action,
    *,
    actor=None,
    obj=None,
    object_type="",
    object_id="",
    outcome=Outcome.SUCCESS,
    request=None,
    detail=None,
    system_actor="",
):
    """Append one event to the audit trail and return it.

    ``actor`` is the user who acted (None for anonymous or system actions);
    ``system_actor`` names a task or command that acted on its own. ``detail``
    must be a small JSON object without secrets, personal data or document
    bodies. The append holds a database lock so concurrent writers extend the
    chain one at a time.
    """
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or str(obj.pk)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    detail = detail or {}
    api_key_prefix = getattr(request, "api_key_prefix", "") if request is not None else ""
    if api_key_prefix:
        detail = {**detail, "api_key": api_key_prefix}
    if len(str(detail)) > DETAIL_MAX_CHARS:
        raise ValueError(f"Audit detail for {action} exceeds {DETAIL_MAX_CHARS} characters.")
    ip_address = client_ip(request)
    with transaction.atomic():
        lock_chain()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor,
            actor_label=_actor_label(actor, system_actor),
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:64],
            outcome=outcome,
            ip_address=ip_address,
            ip_address_digest=keyed_hash(ip_address) if ip_address else "",
            request_id=getattr(request, "request_id", "") if request else "",
            detail=detail,
            previous_hash=_head_hash(),
        )
        event.event_hash = compute_hash(event)
        event.save()
    if request is not None and outcome == Outcome.DENIED:
        # The request middleware records denied responses; this flag stops it
        # from recording a second event for a denial a view already recorded.
        request.audit_denial_recorded = True
    return event
