"""Signal receivers that turn sign-ins and workflow steps into audit events."""

from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver
from wagtail.signals import (
    page_published,
    task_approved,
    task_rejected,
    workflow_submitted,
)

from .models import Outcome
from .services import record_event


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record_event("auth.login", actor=user, obj=user, request=request)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event("auth.logout", actor=user, obj=user, request=request)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The identifier typed is personal data and may be a mistyped password,
    # so the event keeps only the fact and the source address.
    record_event("auth.login", outcome=Outcome.FAILURE, request=request)


def _policy_detail(page):
    return {"policy": page.slug, "title": page.title}


@receiver(workflow_submitted)
def on_submitted(sender, instance, user, **kwargs):
    page = instance.content_object.specific
    record_event(
        "policy.submitted",
        actor=user,
        obj=page,
        detail={
            **_policy_detail(page),
            "workflow_state": instance.pk,
            "change_type": getattr(page, "change_type", ""),
        },
    )


@receiver(task_approved)
def on_task_approved(sender, instance, user, **kwargs):
    page = instance.workflow_state.content_object.specific
    record_event(
        "policy.step_approved",
        actor=user,
        obj=page,
        detail={
            **_policy_detail(page),
            "step": instance.task.name,
            "revision": instance.revision_id,
        },
    )


@receiver(task_rejected)
def on_task_rejected(sender, instance, user, **kwargs):
    page = instance.workflow_state.content_object.specific
    record_event(
        "policy.step_rejected",
        actor=user,
        obj=page,
        detail={
            **_policy_detail(page),
            "step": instance.task.name,
            "revision": instance.revision_id,
        },
    )


@receiver(page_published)
def on_published(sender, instance, revision, **kwargs):
    record_event(
        "page.published",
        actor=revision.user if revision else None,
        obj=instance,
        detail={"slug": instance.slug, "revision": revision.pk if revision else None},
    )
