"""SCIM 2.0 endpoints, mounted at /scim/v2/. The names are those django-scim2 reverses."""

from django.urls import re_path
from django_scim import views as library_views

from . import views

app_name = "scim"

urlpatterns = [
    re_path(r"^$", library_views.SCIMView.as_view(implemented=False), name="root"),
    re_path(r"^\.search$", library_views.SearchView.as_view(implemented=False), name="search"),
    re_path(r"^Users/\.search$", library_views.UserSearchView.as_view(), name="users-search"),
    re_path(r"^Users(?:/(?P<uuid>[^/]+))?$", views.UsersView.as_view(), name="users"),
    re_path(r"^Groups/\.search$", library_views.GroupSearchView.as_view(), name="groups-search"),
    re_path(r"^Groups(?:/(?P<uuid>[^/]+))?$", views.GroupsView.as_view(), name="groups"),
    re_path(r"^Me$", library_views.SCIMView.as_view(implemented=False), name="me"),
    re_path(
        r"^ServiceProviderConfig$",
        library_views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    re_path(
        r"^ResourceTypes(?:/(?P<uuid>[^/]+))?$",
        library_views.ResourceTypesView.as_view(),
        name="resource-types",
    ),
    re_path(r"^Schemas(?:/(?P<uuid>[^/]+))?$", library_views.SchemasView.as_view(), name="schemas"),
    re_path(r"^Bulk$", library_views.SCIMView.as_view(implemented=False), name="bulk"),
]
