"""Signals that keep open campaigns in step with people and policy versions.

Receivers only queue tasks after the transaction commits; the tasks do the
work, so a rolled-back change queues nothing.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from ..policies.models import PolicyVersion

# A save that touches only these fields cannot change audience membership.
IRRELEVANT_USER_FIELDS = {"last_login", "password"}


def _queue_enrolment(user_id):
    from .tasks import enrol_user_task

    transaction.on_commit(lambda: enrol_user_task.delay(user_id))


@receiver(post_save, sender=get_user_model(), dispatch_uid="campaigns-user-saved")
def enrol_saved_user(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or not instance.is_active:
        return
    if update_fields is not None and set(update_fields) <= IRRELEVANT_USER_FIELDS:
        return
    _queue_enrolment(instance.pk)


@receiver(
    m2m_changed, sender=get_user_model().groups.through, dispatch_uid="campaigns-user-groups"
)
def enrol_regrouped_user(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "post_add":
        return
    if reverse:
        for user_id in pk_set or ():
            _queue_enrolment(user_id)
    elif instance.is_active:
        _queue_enrolment(instance.pk)


@receiver(post_save, sender=PolicyVersion, dispatch_uid="campaigns-version-published")
def react_to_published_version(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    from .tasks import version_published_task

    transaction.on_commit(lambda: version_published_task.delay(instance.pk))
