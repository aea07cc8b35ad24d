"""SCIM filter attributes, and the groups SCIM may see."""

from django.conf import settings
from django.contrib.auth.models import Group
from django_scim import filters


class UserFilterQuery(filters.UserFilterQuery):
    """``userName``, ``emails.value`` and ``externalId`` compare without case."""

    joins = ("LEFT JOIN scim_scimidentity ON scim_scimidentity.user_id = accounts_user.id",)
    attr_map = {
        **filters.UserFilterQuery.attr_map,
        ("emails", "value", None): "accounts_user.email",
        ("emails", None, None): "accounts_user.email",
        ("externalId", None, None): "scim_scimidentity.external_id",
        # NOTE: scim2-filter-parser passes booleans as the strings 'TRUE' and
        # 'FALSE', which PostgreSQL compares with a boolean column and SQLite
        # does not, so "active eq true" matches nothing on SQLite.
        ("active", None, None): "accounts_user.is_active",
    }


class GroupFilterQuery(filters.GroupFilterQuery):
    attr_map = {("displayName", None, None): "name"}


def extra_filter_kwargs_getter(model):
    """Return the lookup that limits SCIM to the groups in SCIM_MANAGED_GROUPS."""

    def extra_filter_kwargs(request, *args, **kwargs):
        if model is Group:
            return {"name__in": list(settings.SCIM_MANAGED_GROUPS)}
        return {}

    return extra_filter_kwargs


def queryset_post_processor_getter(model):
    """Return a function that loads each listed user's identity and groups at once."""

    def post_process(request, queryset, *args, **kwargs):
        if model is Group:
            return queryset.prefetch_related("user_set")
        return queryset.select_related("scim_identity").prefetch_related("groups")

    return post_process
