"""New joiners, new group members and people who move department get their
training assigned.

Receivers only queue a task after the transaction commits.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_init, post_save
from django.dispatch import receiver


def _queue(user_id):
    from .tasks import assign_user_task

    transaction.on_commit(lambda: assign_user_task.delay(user_id))


@receiver(post_init, sender=get_user_model(), dispatch_uid="training-user-loaded")
def remember_department(sender, instance, **kwargs):
    # Compared on save to detect a move between departments without a query.
    instance._training_department = instance.__dict__.get("department")


@receiver(post_save, sender=get_user_model(), dispatch_uid="training-user-created")
def assign_new_joiner(sender, instance, created, raw=False, **kwargs):
    previous = getattr(instance, "_training_department", None)
    instance._training_department = instance.department
    if raw or not instance.is_active:
        return
    if created:
        _queue(instance.pk)
    elif previous is not None and previous != instance.department:
        from .tasks import move_department_task

        user_id = instance.pk
        transaction.on_commit(lambda: move_department_task.delay(user_id, previous))


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="training-groups")
def assign_new_group_member(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "post_add":
        return
    for user_id in (pk_set or ()) if reverse else (instance.pk,):
        _queue(user_id)
