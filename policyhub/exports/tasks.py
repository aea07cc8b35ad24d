from celery import shared_task


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def render_signed_pdf(self, version_id):
    """Render and sign a policy version's PDF; a repeat run changes nothing."""
    from ..policies.models import PolicyVersion
    from .services import signed_pdf_for

    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    worker = self.request.hostname or "eager"
    actor = f"celery:{self.name}@{worker}:{self.request.id}"
    record = signed_pdf_for(version, actor=actor)
    return record.pk


@shared_task(bind=True, acks_late=True)
def build_evidence_pack(self, pack_id):
    """Build an evidence pack; a retry or duplicate of a built pack does nothing."""
    from .evidence_service import run_build

    worker = self.request.hostname or "eager"
    return run_build(pack_id, actor=f"celery:{self.name}@{worker}:{self.request.id}")
