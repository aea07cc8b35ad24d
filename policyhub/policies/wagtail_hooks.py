from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .document_views import _can_import, import_document_view


@hooks.register("register_admin_urls")
def register_import_url():
    return [path("import-document/", import_document_view, name="policies_import_document")]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return _can_import(request.user)


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(
        "Import document", reverse("policies_import_document"), icon_name="upload", order=250
    )
