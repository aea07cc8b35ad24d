"""Close the open review items of people who are deactivated."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from ..accounts.receivers import request_actor

User = get_user_model()


@receiver(post_save, sender=User, dispatch_uid="access-reviews-close-deactivated")
def close_items_on_deactivation(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    from .services import close_items_of_deactivated

    actor = getattr(instance, "_policyhub_deactivated_by", None) or request_actor()
    close_items_of_deactivated(subject_ids=[instance.pk], actor=actor)
