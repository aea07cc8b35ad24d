"""Request, build and serve evidence packs."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..audit.services import record_event
from .evidence import build_pack
from .models import EvidencePack

logger = logging.getLogger(__name__)


def request_pack(
    user, token, period_start, period_end, policy_slugs, include_audit, request=None,
    campaign_ids=(), training_module_ids=(),
):
    """Create the pack for ``token`` and queue its build; return (pack, created).

    The form's token makes a double submission return the pack already
    requested instead of building a second one.
    """
    from .tasks import build_evidence_pack

    try:
        with transaction.atomic():
            pack = EvidencePack.objects.create(
                requested_by=user, request_token=token, period_start=period_start,
                period_end=period_end, policy_slugs=sorted(policy_slugs),
                include_audit=include_audit, campaign_ids=sorted(campaign_ids),
                training_module_ids=sorted(training_module_ids),
            )
            record_event(
                "export.evidence_pack_requested", actor=user, obj=pack, request=request,
                detail={"period_start": period_start.isoformat(),
                        "period_end": period_end.isoformat(), "policies": sorted(policy_slugs),
                        "campaigns": sorted(campaign_ids),
                        "training_modules": sorted(training_module_ids)},
            )
    except IntegrityError:
        return EvidencePack.objects.get(request_token=token, requested_by=user), False
    transaction.on_commit(lambda: build_evidence_pack.delay(pack.pk))
    return pack, True


# A running build that has not reported progress for this long is taken over:
# its worker died, and the broker redelivered the task.
STALE_AFTER = datetime.timedelta(minutes=10)


def run_build(pack_id, actor):
    """Build a pending pack; a second run of a finished or live build does nothing."""
    now = timezone.now()
    claimable = Q(status=EvidencePack.Status.PENDING) | Q(
        status=EvidencePack.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    claimed = EvidencePack.objects.filter(claimable, pk=pack_id).update(
        status=EvidencePack.Status.RUNNING, progress=1, error="", built_by=actor[:200],
        heartbeat_at=now,
    )
    if not claimed:
        return None
    pack = EvidencePack.objects.get(pk=pack_id)

    def progress(percent):
        EvidencePack.objects.filter(pk=pack_id).update(
            progress=max(1, min(percent, 99)), heartbeat_at=timezone.now()
        )

    try:
        digest, size = build_pack(pack, progress, actor)
    except Exception as exc:
        EvidencePack.objects.filter(pk=pack_id).update(
            status=EvidencePack.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:500]
        )
        # The failure is stored on the pack and shown to the requester, who
        # can request a new pack; retrying the same inputs would fail again.
        logger.exception("Evidence pack %s failed", pack_id)
        return None
    EvidencePack.objects.filter(pk=pack_id).update(
        status=EvidencePack.Status.DONE, progress=100, file=pack.file.name, sha256=digest,
        size_bytes=size, finished_at=timezone.now(),
    )
    record_event(
        "export.evidence_pack_built", obj=pack, system_actor=actor,
        detail={"sha256": digest, "size": size},
    )
    return pack_id
