"""SCIM views: django-scim2's, with one transaction per write and numeric ids."""

from django.db import transaction
from django_scim import exceptions, views


class _WriteInTransaction:
    """Run each write in one transaction, so a failing step leaves nothing behind."""

    def get_object(self):
        if not str(self.kwargs.get(self.lookup_url_kwarg, "")).isdigit():
            raise exceptions.NotFoundError(self.kwargs.get(self.lookup_url_kwarg))
        return super().get_object()

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().post(request, *args, **kwargs)

    def put(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().put(request, *args, **kwargs)

    def patch(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().patch(request, *args, **kwargs)

    def delete(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().delete(request, *args, **kwargs)


class UsersView(_WriteInTransaction, views.UsersView):
    pass


class GroupsView(_WriteInTransaction, views.GroupsView):
    def post(self, request, *args, **kwargs):
        raise exceptions.NotImplementedError(
            "PolicyHub roles cannot be created over SCIM; add members to an existing role."
        )
