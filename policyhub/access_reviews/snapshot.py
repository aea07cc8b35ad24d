"""Snapshot everyone's rights into review items when a review starts."""

from collections import defaultdict

from django.contrib.auth import get_user_model
from guardian.models import UserObjectPermission

from .models import ReviewItem

LABEL_MAX_CHARS = 300


def reviewer_for(person):
    """Return who reviews ``person``'s rights: their active line manager, or
    None, which puts the items in the compliance admins' queue."""
    manager = person.manager
    if manager is None or not manager.is_active or manager.pk == person.pk:
        return None
    return manager


def _object_names(rows):
    """Return {(content type id, object pk): name} for the objects of ``rows``.

    One query per content type, whatever the number of rows.
    """
    wanted = defaultdict(set)
    types = {}
    for row in rows:
        wanted[row.content_type_id].add(row.object_pk)
        types[row.content_type_id] = row.content_type
    names = {}
    for type_id, pks in wanted.items():
        model = types[type_id].model_class()
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=pks):
            names[(type_id, str(obj.pk))] = str(obj)
    return names


def _group_items(review, people):
    memberships = (
        get_user_model()
        .groups.through.objects.filter(user__is_active=True)
        .select_related("group")
        .order_by("user_id", "group__name")
    )
    for membership in memberships.iterator(chunk_size=2000):
        person = people[membership.user_id]
        yield ReviewItem(
            review=review,
            subject=person,
            reviewer=reviewer_for(person),
            kind=ReviewItem.Kind.GROUP,
            right_key=f"group:{membership.group_id}",
            group=membership.group,
            right_label=f"Member of {membership.group.name}"[:LABEL_MAX_CHARS],
        )


def _object_permission_items(review, people):
    rows = list(
        UserObjectPermission.objects.filter(user__is_active=True)
        .select_related("permission", "content_type")
        .order_by("user_id", "content_type_id", "object_pk", "permission__codename")
    )
    names = _object_names(rows)
    for row in rows:
        person = people[row.user_id]
        name = names.get((row.content_type_id, str(row.object_pk)))
        target = (
            f"{row.content_type.name} {name!r}"
            if name
            else (f"{row.content_type.name} #{row.object_pk} (no longer exists)")
        )
        yield ReviewItem(
            review=review,
            subject=person,
            reviewer=reviewer_for(person),
            kind=ReviewItem.Kind.OBJECT_PERMISSION,
            right_key=f"perm:{row.permission_id}:{row.content_type_id}:{row.object_pk}",
            permission=row.permission,
            content_type=row.content_type,
            object_pk=str(row.object_pk),
            right_label=f"{row.permission.name} on {target}"[:LABEL_MAX_CHARS],
        )


def snapshot_items(review):
    """Return unsaved items: one per group membership and per user-level
    django-guardian object permission of every active user.

    Group-level object permissions are reviewed through the group membership
    that grants them.
    """
    people = {
        person.pk: person
        for person in get_user_model().objects.filter(is_active=True).select_related("manager")
    }
    return [*_group_items(review, people), *_object_permission_items(review, people)]
