"""Background work for procedures. Tasks take ids, and a repeat changes nothing."""

import logging

from celery import shared_task

from ..attestations.tasks import RETRY, actor_label

logger = logging.getLogger(__name__)


@shared_task(**RETRY)
def create_due_runs_task(self):
    """Create the current period's run of every scheduled procedure, once."""
    from .services import create_due_runs

    created = create_due_runs(actor_label=actor_label(self))
    logger.info("Created %s procedure runs", created)
    return created


@shared_task(**RETRY)
def remind_and_escalate_task(self, day=None):
    """Remind performers of due and overdue runs and escalate overdue ones."""
    from ..attestations.tasks import _day
    from .reminders import send_escalations, send_reminders

    today = _day(day)
    label = actor_label(self)
    return {"reminded": send_reminders(today, label), "escalated": send_escalations(today, label)}


@shared_task(**RETRY)
def render_run_pdf_task(self, run_id):
    """Render and sign the PDF record of a finished run."""
    from .models import ProcedureRun
    from .pdf import signed_run_pdf_for

    run = ProcedureRun.objects.get(pk=run_id)
    return signed_run_pdf_for(run, actor=actor_label(self)).pk
