from celery import shared_task

from .retention import apply_retention


@shared_task(
    name="policyhub.privacy.tasks.apply_retention_task",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=3,
)
def apply_retention_task():
    """Apply the retention periods; a retry only finds what is still due."""
    return apply_retention()
