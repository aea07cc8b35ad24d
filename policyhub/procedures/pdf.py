"""The signed PDF record of a finished procedure run (WeasyPrint and pyHanko)."""

import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from weasyprint import HTML

from ..exports.signing import sign_pdf
from .models import ProcedureRun, SignedRunPdf, StepEvidence

logger = logging.getLogger(__name__)


def run_pdf_context(run):
    steps = list(run.steps.select_related("done_by").order_by("number"))
    evidence = StepEvidence.objects.filter(step__run=run).select_related("step", "provided_by")
    by_step = {}
    for item in evidence:
        by_step.setdefault(item.step_id, []).append(item)
    return {
        "run": run,
        "organisation": settings.POLICYHUB_ORGANISATION_NAME,
        "rows": [(step, by_step.get(step.pk, [])) for step in steps],
    }


def render_run_pdf(run):
    """Return the unsigned PDF bytes of ``run``."""
    html = render_to_string("procedures/run_pdf.html", run_pdf_context(run))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def signed_run_pdf_for(run, actor=""):
    """Return the SignedRunPdf of a finished run, rendering and signing it once."""
    existing = SignedRunPdf.objects.filter(run=run).first()
    if existing is not None:
        return existing
    if run.status != ProcedureRun.Status.COMPLETED:
        raise ValueError(f"Run {run.pk} is {run.status}; only completed runs are exported.")
    signed = sign_pdf(
        render_run_pdf(run),
        reason=f"Procedure run {run.version.title} {run.version.label}, period "
        f"{run.period_key}, completed {run.completed_at:%Y-%m-%d}",
    )
    record = SignedRunPdf(
        run=run,
        sha256=hashlib.sha256(signed).hexdigest(),
        size_bytes=len(signed),
        created_by_task=actor[:200],
    )
    safe_period = run.period_key.replace(":", "-")
    record.file.save(
        f"{run.procedure.slug}-run-{run.pk}-{safe_period}-signed.pdf",
        ContentFile(signed),
        save=False,
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        record.file.delete(save=False)
        return SignedRunPdf.objects.get(run=run)
    logger.info("Signed PDF created for procedure run %s by %s", run.pk, actor)
    return record
