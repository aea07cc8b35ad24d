"""Who a campaign targets, as a query on active accounts."""

from django.contrib.auth import get_user_model

from ..accounts import roles
from .models import Audience


def audience_queryset(campaign):
    """Return the active users a campaign targets, without duplicates.

    "All active employees" means active members of the Employees group.
    Deactivated users never enter an audience, so new assignments are made
    only for people who can act on them.
    """
    users = get_user_model().objects.filter(is_active=True)
    if campaign.audience == Audience.ALL:
        return users.filter(groups__name=roles.EMPLOYEES)
    if campaign.audience == Audience.GROUPS:
        return users.filter(
            pk__in=get_user_model().groups.through.objects.filter(
                group__in=campaign.audience_groups.all()
            ).values("user_id")
        )
    if campaign.audience == Audience.DEPARTMENTS:
        return users.filter(department__in=campaign.audience_departments)
    return users.filter(pk__in=campaign.audience_users.all())


def audience_user_ids(campaign, among=None):
    """Return the ids of the audience in ascending order, optionally among ``among``."""
    users = audience_queryset(campaign)
    if among is not None:
        users = users.filter(pk__in=list(among))
    return list(users.order_by("pk").values_list("pk", flat=True).distinct())
