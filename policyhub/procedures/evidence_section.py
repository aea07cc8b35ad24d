"""The procedure runs section of evidence packs.

A pack lists every run whose period or manual start falls in the pack's
period, with its status, and contains each completed run's signed PDF and the
evidence files its performers attached.
"""

from django.db.models import Q

from ..exports.evidence import copy_storage_file, period_bounds, register_section

HEADER = [
    "procedure",
    "run_id",
    "period",
    "trigger",
    "status",
    "due_date",
    "version",
    "performed_by",
    "completed_at",
    "signed_off_by",
    "signed_off_at",
    "overdue_or_missed",
    "signed_pdf_sha256",
]


def runs_for_pack(pack):
    from .models import ProcedureRun

    start, end = period_bounds(pack)
    runs = ProcedureRun.objects.filter(
        Q(period_start__lt=end, period_end__gt=start)
        | Q(period_start__isnull=True, created_at__gte=start, created_at__lt=end)
    )
    if pack.policy_slugs:
        runs = runs.filter(
            Q(procedure__slug__in=pack.policy_slugs)
            | Q(procedure__in=_procedures_under(pack.policy_slugs))
        )
    return runs.select_related("procedure", "version", "started_by", "signed_off_by").order_by(
        "procedure__slug", "created_at", "pk"
    )


def _procedures_under(policy_slugs):
    from ..policies.models import PolicyPage
    from .models import ProcedurePage

    ids = []
    for policy in PolicyPage.objects.exact_type(PolicyPage).filter(slug__in=policy_slugs):
        ids.extend(ProcedurePage.objects.child_of(policy).values_list("pk", flat=True))
    return ids


def _state(run):
    if run.status == run.Status.COMPLETED:
        return ""
    if run.is_missed():
        return "missed"
    return "overdue" if run.is_overdue() else ""


def build_procedure_section(pack, writer, actor):
    from .models import StepEvidence
    from .pdf import signed_run_pdf_for

    rows = []
    for run in runs_for_pack(pack):
        folder = f"procedures/{run.procedure.slug}/run-{run.pk}"
        pdf_sha = ""
        if run.status == run.Status.COMPLETED:
            record = signed_run_pdf_for(run, actor=actor)
            copy_storage_file(writer, f"{folder}/{record.filename}", record.file)
            pdf_sha = record.sha256
            files = StepEvidence.objects.filter(step__run=run, kind="file").select_related("step")
            for item in files.order_by("step__number", "pk"):
                name = f"{folder}/evidence/step-{item.step.number}-{item.pk}-{item.original_name}"
                copy_storage_file(writer, name, item.file)
        rows.append(
            [
                run.procedure.slug,
                run.pk,
                run.period_key,
                run.trigger,
                run.status,
                run.due_date.isoformat(),
                run.version.label,
                run.started_by.get_full_name() if run.started_by else "",
                run.completed_at.isoformat() if run.completed_at else "",
                run.signed_off_by.get_full_name() if run.signed_off_by else "",
                run.signed_off_at.isoformat() if run.signed_off_at else "",
                _state(run),
                pdf_sha,
            ]
        )
    writer.add_csv("procedures/runs.csv", HEADER, rows)


register_section(
    "procedures", "Procedure runs with signed records and evidence", build_procedure_section
)
