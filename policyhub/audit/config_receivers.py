"""Audit events for configuration: approval workflows, their tasks and where
they apply, page permissions and Wagtail sites."""

from django.db.models.signals import post_delete, post_save
from wagtail.models import (
    GroupPagePermission,
    Site,
    Task,
    Workflow,
    WorkflowContentType,
    WorkflowPage,
    WorkflowTask,
)

from .context import attribution
from .services import record_event

CONFIGURATION_MODELS = (
    Workflow,
    Task,
    WorkflowTask,
    WorkflowPage,
    WorkflowContentType,
    Site,
)


def _describe(instance):
    detail = {"model": f"{instance._meta.app_label}.{instance._meta.model_name}"}
    if isinstance(instance, GroupPagePermission):
        detail.update(
            group=instance.group.name,
            page=instance.page_id,
            permission=instance.permission.codename,
        )
    elif isinstance(instance, Site):
        detail.update(
            hostname=instance.hostname,
            port=instance.port,
            root_page=instance.root_page_id,
            is_default=instance.is_default_site,
        )
    elif isinstance(instance, Workflow | Task):
        detail.update(name=instance.name, active=instance.active)
    else:
        detail["summary"] = str(instance)[:200]
    return detail


def _on_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    action = "config.created" if created else "config.changed"
    if isinstance(instance, GroupPagePermission):
        action = "access.page_permission_added" if created else "access.page_permission_changed"
    record_event(action, obj=instance, detail=_describe(instance), **attribution())


def _on_deleted(sender, instance, **kwargs):
    action = "config.deleted"
    if isinstance(instance, GroupPagePermission):
        action = "access.page_permission_removed"
    record_event(action, obj=instance, detail=_describe(instance), **attribution())


def connect_configuration_receivers():
    """Connect save and delete receivers for every audited configuration model.

    Subclasses of ``Task`` (such as ``GroupApprovalTask``) send signals with
    their own class as sender, so each concrete subclass is connected too.
    """
    task_models = {model for model in _concrete_subclasses(Task)}
    for model in (*CONFIGURATION_MODELS, *task_models, GroupPagePermission):
        uid = f"audit-config-{model._meta.label_lower}"
        post_save.connect(_on_saved, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_deleted, sender=model, dispatch_uid=f"{uid}-delete")


def _concrete_subclasses(model):
    for subclass in model.__subclasses__():
        if not subclass._meta.abstract and not subclass._meta.proxy:
            yield subclass
        yield from _concrete_subclasses(subclass)
