from django.urls import path

from . import portal_views

app_name = "api_keys"

urlpatterns = [
    path("", portal_views.key_list, name="list"),
    path("<int:pk>/revoke/", portal_views.revoke, name="revoke"),
]
