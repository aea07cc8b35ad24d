"""Signed completion certificates (WeasyPrint, then a PAdES signature)."""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from ..audit.services import record_event
from ..exports.signing import sign_pdf
from .models import TrainingCompletion

logger = logging.getLogger(__name__)


def render_certificate(completion):
    """Return the signed PDF bytes of ``completion``'s certificate."""
    assignment = completion.assignment
    html = render_to_string("training/certificate_pdf.html", {
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "person": assignment.user,
        "module": assignment.module,
        "completion": completion,
    })
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return sign_pdf(pdf, reason=f"Training certificate: {assignment.module.title}")


def issue_certificate(completion_id, system_actor="training.issue_certificate"):
    """Render, sign and store the certificate of a completion; return it.

    A completion that already has its certificate is returned unchanged, so a
    retried task stores one file.
    """
    completion = TrainingCompletion.objects.select_related(
        "assignment__user", "assignment__module"
    ).get(pk=completion_id)
    if completion.certificate:
        return completion
    pdf = render_certificate(completion)
    name = f"certificate-{completion.assignment.module.slug}-{completion.pk}.pdf"
    completion.certificate.save(name, ContentFile(pdf), save=False)
    completion.certificate_issued_at = timezone.now()
    updated = TrainingCompletion.objects.filter(pk=completion.pk, certificate="").update(
        certificate=completion.certificate.name,
        certificate_issued_at=completion.certificate_issued_at,
    )
    if not updated:
        # Another worker stored its certificate first; keep that one.
        completion.certificate.storage.delete(completion.certificate.name)
        completion.refresh_from_db()
        return completion
    record_event(
        "training.certificate_issued", obj=completion, system_actor=system_actor,
        detail={"module": completion.assignment.module.slug, "cycle": completion.cycle},
    )
    logger.info("Training certificate issued for completion %s", completion.pk)
    return completion
