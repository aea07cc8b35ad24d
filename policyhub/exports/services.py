"""Produce and serve the signed PDF of a policy version."""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from .models import SignedPolicyPdf
from .pdf import render_version_pdf
from .signing import sign_pdf

logger = logging.getLogger(__name__)


def signed_pdf_for(version, actor=""):
    """Return the SignedPolicyPdf of ``version``, creating it on first use.

    Rendering and signing happen once per version; concurrent callers (a
    retried task and a download at the same moment) end with the same row,
    because the database allows one signed PDF per version.
    """
    existing = SignedPolicyPdf.objects.filter(version=version).first()
    if existing is not None:
        return existing
    unsigned = render_version_pdf(version)
    signed = sign_pdf(
        unsigned,
        reason=f"Approved {version.title} version {version.label}, "
        f"content SHA-256 {version.content_sha256}",
    )
    record = SignedPolicyPdf(
        version=version,
        sha256=hashlib.sha256(signed).hexdigest(),
        size_bytes=len(signed),
        created_by_task=actor[:200],
    )
    record.file.save(
        f"{version.policy.slug}-v{version.label}-signed.pdf",
        ContentFile(signed),
        save=False,
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        record.file.delete(save=False)
        return SignedPolicyPdf.objects.get(version=version)
    logger.info("Signed PDF created for policy version %s by %s", version.pk, actor)
    return record
