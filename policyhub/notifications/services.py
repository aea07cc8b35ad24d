"""Send each notification at most once, whatever retries or races occur.

Use ``send_once`` for every reminder, escalation and notice. The caller
chooses a ``dedupe_key`` that names what must not repeat, e.g.
``daily_key("campaign-reminder", campaign.pk, user.pk)`` for one reminder per
person, campaign and day.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Delivery

logger = logging.getLogger(__name__)


def daily_key(kind, *ids, day=None):
    """Return a key that allows one notification of ``kind`` per ids and day."""
    day = day or timezone.localdate()
    return ":".join([kind, *(str(part) for part in ids), day.isoformat()])


def _claim(dedupe_key, kind, recipient, subject, actor):
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                dedupe_key=dedupe_key, kind=kind, recipient=recipient,
                subject=subject[:200], actor=actor[:200],
            )
    except IntegrityError:
        pass
    # A failed earlier attempt may be claimed again; a sent or in-flight one not.
    reclaimed = Delivery.objects.filter(
        dedupe_key=dedupe_key, status=Delivery.Status.FAILED
    ).update(status=Delivery.Status.SENDING, error="", actor=actor[:200])
    return Delivery.objects.get(dedupe_key=dedupe_key) if reclaimed else None


def send_once(dedupe_key, kind, recipient, subject, template, context, actor):
    """Email ``recipient`` unless ``dedupe_key`` was already claimed; return
    whether an email was sent.

    The claim is committed before sending, so a worker killed while sending
    leaves a "sending" claim and the email is not sent twice (at most once).
    ``template`` names ``<template>.txt`` and ``<template>.html``; the context
    must hold no personal data beyond the recipient's own name.
    """
    if not recipient.is_active or not recipient.email:
        return False
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("send_once must run outside a transaction, so its claim commits.")
    delivery = _claim(dedupe_key, kind, recipient, subject, actor)
    if delivery is None:
        return False
    context = {**context, "recipient": recipient, "base_url": settings.WAGTAILADMIN_BASE_URL}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    try:
        message.send()
    except OSError as exc:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
        )
        logger.warning("Notification %s to user %s failed: %s", kind, recipient.pk, exc)
        raise
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )
    logger.info("Notification %s sent to user %s", kind, recipient.pk)
    return True


def batches(ids, size=500):
    """Split ``ids`` into lists of at most ``size``, for fan-out tasks."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
