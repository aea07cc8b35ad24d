from django.db.models.signals import post_save
from django.dispatch import receiver

from ..policies.models import PolicyVersion


@receiver(post_save, sender=PolicyVersion)
def flag_on_major_version(sender, instance, created, **kwargs):
    if created and instance.change_type == "major":
        from .services import flag_changed_statements

        # Same transaction as the publication: a flag is never lost or orphaned.
        flag_changed_statements(instance)
